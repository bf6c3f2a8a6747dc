import { z } from 'zod';
import { absolutePath, token } from '../checks/check-method.js';
import { shellQuote } from '../shell.js';
import { runOrThrow } from './host-files.js';
import type { Mechanism, RemediationStep } from './step.js';

const filePermissionsFields = z.strictObject({
  mechanism: z.literal('file_permissions'),
  path: absolutePath.refine((p) => !/[*?[]/.test(p), 'remediation needs a literal path, not a pattern'),
  owner: token.optional(),
  group: token.optional(),
  /** The most permissive mode allowed: bits beyond it are removed, stricter modes are kept. */
  mode: z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode such as 0640').optional(),
});

/** file_permissions: owner, group and mode of a file brought within the rule's limits. */
export const filePermissions: Mechanism<z.infer<typeof filePermissionsFields>> = {
  fields: filePermissionsFields,
  steps(f) {
    const path = shellQuote(f.path);
    const current = async (session: Parameters<RemediationStep['apply']>[0]) => {
      const [mode, owner, group] = (await runOrThrow(session, `stat -c '%a %U %G' -- ${path}`, `reading ${f.path}`)).stdout.trim().split(' ');
      return { mode, owner, group };
    };
    const target = (mode: string) => (f.mode ? (parseInt(mode, 8) & parseInt(f.mode, 8)).toString(8).padStart(4, '0') : mode);
    const set = async (session: Parameters<RemediationStep['apply']>[0], owner: string, group: string, mode: string) => {
      await runOrThrow(session, `chown -- ${shellQuote(`${owner}:${group}`)} ${path}`, `chown ${f.path}`);
      await runOrThrow(session, `chmod -- ${shellQuote(mode)} ${path}`, `chmod ${f.path}`);
    };
    const description = `set ${f.path} to ${[f.owner && `owner ${f.owner}`, f.group && `group ${f.group}`, f.mode && `mode at most ${f.mode}`].filter(Boolean).join(', ')}`;
    return [
      {
        mechanism: 'file_permissions',
        description,
        async dryRun(session) {
          const now = await current(session);
          return { description: `${description} (now ${now.mode} ${now.owner}:${now.group}, then ${target(now.mode)} ${f.owner ?? now.owner}:${f.group ?? now.group})`, diff: null };
        },
        async apply(session) {
          const now = await current(session);
          await set(session, f.owner ?? now.owner, f.group ?? now.group, target(now.mode));
          return now;
        },
        async rollback(session, prior) {
          await set(session, String(prior.owner), String(prior.group), String(prior.mode));
        },
      },
    ];
  },
};
