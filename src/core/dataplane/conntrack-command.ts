/** The one conntrack reader of the data planes (the wiretap and the flow stats): its table as conntrack prints it. */
import { runProcess } from './spawner.js';

/** `conntrack -L -o extended,id` (after any prefix, e.g. `ip netns exec NS`); rejects with its stderr on failure. */
export async function listConntrack(command: string[], timeoutMs = 10_000): Promise<string> {
  const failed = (why: string) => new Error(`${command.join(' ')} -L failed: ${why}`);
  const { code, signal, stdout, stderr } = await runProcess([...command, '-L', '-o', 'extended,id'], '', timeoutMs).catch((err: Error) => {
    throw failed(err.message);
  });
  if (code === 0) return stdout;
  throw failed(stderr.trim() || (signal ? `killed by ${signal} (the timeout is ${timeoutMs} ms)` : `exit ${code}`));
}
