type Probe<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

/** Polls until the probe returns something truthy and returns it; fails naming what it waited for. */
export async function waitFor<T>(what: string, probe: Probe<T>, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
