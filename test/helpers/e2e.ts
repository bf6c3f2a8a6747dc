import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * End-to-end tests need real programs. Missing ones skip the test on a developer's machine, but under
 * RAMPART_E2E=required (CI) the test runs and fails, naming what is missing.
 */
export const e2eRequired = process.env.RAMPART_E2E === 'required';

export function findProgram(name: string): string | undefined {
  if (name.startsWith('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** The `skip` option for a test needing these programs: a reason when missing and not required, else false. */
export function skipUnlessPrograms(...names: string[]): string | false {
  const missing = names.filter((n) => !findProgram(n));
  if (missing.length === 0 || e2eRequired) return false;
  return `needs ${missing.join(', ')} (set RAMPART_E2E=required to fail instead)`;
}

/** First line of an e2e test: fails with a clear message when a program is missing (under RAMPART_E2E=required). */
export function requirePrograms(...names: string[]): void {
  const missing = names.filter((n) => !findProgram(n));
  if (missing.length) throw new Error(`e2e prerequisites missing: ${missing.join(', ')} (install the Debian packages .ci/run lists)`);
}
