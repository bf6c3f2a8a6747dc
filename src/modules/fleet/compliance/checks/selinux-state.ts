import { z } from 'zod';
import { type CheckMethod, commandFailure, errorVerdict, fileMissing, verdict } from './check-method.js';
import { configValue } from './config-value.js';

const fields = z.strictObject({
  method: z.literal('selinux_state'),
  /** enforcing, permissive or disabled; `enforcing|permissive` accepts either. */
  state: z.string().regex(/^(enforcing|permissive|disabled)(\|(enforcing|permissive|disabled))*$/, 'must be enforcing, permissive or disabled, or several joined by |'),
  /** running: getenforce; config: SELINUX= in /etc/selinux/config (the mode after the next boot). */
  source: z.enum(['running', 'config']).default('running'),
});
type Fields = z.infer<typeof fields>;

/** selinux_state: the SELinux mode, now or as configured. */
export const selinuxStateCheck: CheckMethod<Fields> = {
  fields,
  command: (c) => ({ command: c.source === 'running' ? 'getenforce' : 'cat -- /etc/selinux/config', sudo: false }),
  evaluate(c, result) {
    const expected = `SELinux ${c.state.split('|').join(' or ')} (${c.source})`;
    if (fileMissing(result)) return verdict(c.state.includes('disabled'), expected, 'no /etc/selinux/config: SELinux is not set up');
    if (result.exitCode !== 0) return errorVerdict(expected, commandFailure(result));
    const mode = (c.source === 'running' ? result.stdout.trim() : configValue(result.stdout, 'SELINUX', '=', false) ?? 'unset').toLowerCase();
    return verdict(c.state.split('|').includes(mode), expected, `SELinux ${mode}`);
  },
};
