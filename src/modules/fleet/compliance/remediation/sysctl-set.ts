import { z } from 'zod';
import { absolutePath, text } from '../checks/check-method.js';
import { shellQuote } from '../shell.js';
import { fileEditStep, setConfigLine } from './file-edit.js';
import { runOrThrow } from './host-files.js';
import type { Mechanism } from './step.js';

const sysctlSetFields = z.strictObject({
  mechanism: z.literal('sysctl_set'),
  key: z.string().regex(/^[a-z0-9_.-]+$/i, 'must be a sysctl key'),
  value: text,
  /** Where the setting persists across reboots. */
  persist_file: absolutePath.default('/etc/sysctl.d/60-rampart.conf'),
});

/** sysctl_set: the parameter persisted in sysctl.d and set on the running kernel. */
export const sysctlSet: Mechanism<z.infer<typeof sysctlSetFields>> = {
  fields: sysctlSetFields,
  steps: (f) => [
    fileEditStep('sysctl_set', f.persist_file, `persist ${f.key} = ${f.value} in ${f.persist_file}`, (content) =>
      setConfigLine(content, f.key, `${f.key} = ${f.value}`, '='),
    ),
    {
      mechanism: 'sysctl_set',
      description: `set ${f.key} to ${f.value} on the running kernel`,
      async dryRun(session) {
        const now = await runOrThrow(session, `sysctl -n -- ${shellQuote(f.key)}`, `reading ${f.key}`);
        return { description: `set ${f.key} from ${now.stdout.trim()} to ${f.value} on the running kernel`, diff: null };
      },
      async apply(session) {
        const now = await runOrThrow(session, `sysctl -n -- ${shellQuote(f.key)}`, `reading ${f.key}`);
        await runOrThrow(session, `sysctl -w -- ${shellQuote(`${f.key}=${f.value}`)}`, `setting ${f.key}`);
        return { key: f.key, value: now.stdout.trim() };
      },
      async rollback(session, prior) {
        await runOrThrow(session, `sysctl -w -- ${shellQuote(`${f.key}=${String(prior.value)}`)}`, `restoring ${f.key}`);
      },
    },
  ],
};
