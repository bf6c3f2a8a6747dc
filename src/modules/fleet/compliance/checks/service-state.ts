import { z } from 'zod';
import { shellQuote } from '../shell.js';
import { type CheckMethod, errorVerdict, token, verdict } from './check-method.js';

const fields = z
  .strictObject({
    method: z.literal('service_state'),
    name: token,
    enabled: z.boolean().optional(),
    active: z.boolean().optional(),
  })
  .refine((c) => c.enabled !== undefined || c.active !== undefined, { message: 'set enabled, active or both', path: ['enabled'] });
type Fields = z.infer<typeof fields>;

/** is-enabled states that start the unit at boot or on demand. */
const ENABLED_STATES = ['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated'];

function stateLine(stdout: string, name: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1).trim() || 'not-found';
}

/**
 * service_state: a systemd unit enabled/disabled and active/inactive. A unit that does not exist counts as disabled
 * and inactive, so "avahi-daemon disabled" passes on a host without avahi.
 */
export const serviceStateCheck: CheckMethod<Fields> = {
  fields,
  command(c, { capabilities }) {
    if (!capabilities.has('systemd')) return 'systemd is not running on the host (no /run/systemd/system): service state cannot be read';
    const unit = shellQuote(c.name);
    const parts = [`printf 'enabled=%s\\n' "$(systemctl is-enabled -- ${unit} 2>/dev/null)"`];
    if (c.active !== undefined) parts.push(`printf 'active=%s\\n' "$(systemctl is-active -- ${unit} 2>/dev/null)"`);
    return { command: parts.join('; '), sudo: false };
  },
  evaluate(c, result) {
    const want = [c.enabled !== undefined && (c.enabled ? 'enabled' : 'disabled'), c.active !== undefined && (c.active ? 'active' : 'inactive')];
    const expected = `${c.name} ${want.filter(Boolean).join(' and ')}`;
    if (result.exitCode !== 0) return errorVerdict(expected, `could not query systemd: ${result.stderr.trim() || 'no output'}`);
    const enabledState = stateLine(result.stdout, 'enabled');
    const activeState = stateLine(result.stdout, 'active');
    const okEnabled = c.enabled === undefined || ENABLED_STATES.includes(enabledState) === c.enabled;
    const okActive = c.active === undefined || (activeState === 'active') === c.active;
    const actual = `${c.name} is-enabled=${enabledState}${c.active !== undefined ? ` is-active=${activeState}` : ''}`;
    return verdict(okEnabled && okActive, expected, actual);
  },
};
