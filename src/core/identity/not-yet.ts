/** TEMPORARY while the identity services are built in parallel: an object whose every method throws. */
export function notYet<T>(what: string): T {
  return new Proxy({}, { get: (_t, prop) => (prop === 'then' ? undefined : () => { throw new Error(`${what}.${String(prop)}: not built yet`); }) }) as T;
}
