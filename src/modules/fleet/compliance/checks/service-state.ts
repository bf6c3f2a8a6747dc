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

/**
 * The state systemctl printed for a query: a state word, not-found for a unit that does not exist, or null when
 * systemctl could not answer at all (no bus, not booted with systemd): that must not read as "disabled".
 */
function stateOf(stdout: string, name: string): string | null {
  const value = stdout.split('\n').find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1).trim() ?? '';
  if (/^[a-z-]+$/.test(value)) return value;
  if (/Failed to connect|not been booted|Host is down|Access denied|Permission denied/i.test(value)) return null;
  if (value === '' || /No such file or directory|not found|does not exist|not loaded/i.test(value)) return 'not-found';
  return null;
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
    const parts = [`printf 'enabled=%s\\n' "$(systemctl is-enabled -- ${unit} 2>&1 | tail -n 1)"`];
    if (c.active !== undefined) parts.push(`printf 'active=%s\\n' "$(systemctl is-active -- ${unit} 2>&1 | tail -n 1)"`);
    return { command: parts.join('; '), sudo: false };
  },
  evaluate(c, result) {
    const want = [c.enabled !== undefined && (c.enabled ? 'enabled' : 'disabled'), c.active !== undefined && (c.active ? 'active' : 'inactive')];
    const expected = `${c.name} ${want.filter(Boolean).join(' and ')}`;
    if (result.exitCode !== 0) return errorVerdict(expected, `could not query systemd: ${result.stderr.trim() || 'no output'}`);
    const enabledState = stateOf(result.stdout, 'enabled');
    const activeState = c.active === undefined ? 'unknown' : stateOf(result.stdout, 'active');
    if (enabledState === null || activeState === null) return errorVerdict(expected, `could not query systemd: ${result.stdout.trim().replace(/^(enabled|active)=/gm, '')}`);
    const okEnabled = c.enabled === undefined || ENABLED_STATES.includes(enabledState) === c.enabled;
    const okActive = c.active === undefined || (activeState === 'active') === c.active;
    const actual = `${c.name} is-enabled=${enabledState}${c.active !== undefined ? ` is-active=${activeState}` : ''}`;
    return verdict(okEnabled && okActive, expected, actual);
  },
};
