import { z } from 'zod';
import { type CheckMethod, commandFailure, errorVerdict, text, verdict } from './check-method.js';

const fields = z.strictObject({
  method: z.literal('grub_parameter'),
  key: z.string().regex(/^[a-z0-9_.-]+$/i, 'must be a kernel parameter name'),
  /** The value after `key=`; absent: the bare parameter must be present (or absent, with present: false). */
  expected: text.optional(),
  present: z.boolean().default(true),
  /** config: GRUB_CMDLINE_LINUX* in /etc/default/grub (what the next boot gets); running: /proc/cmdline. */
  source: z.enum(['config', 'running']).default('config'),
});
type Fields = z.infer<typeof fields>;

const CONFIG_COMMAND = 'cat /etc/default/grub /etc/default/grub.d/*.cfg 2>/dev/null; true';

/** The kernel command line words the grub defaults set (GRUB_CMDLINE_LINUX and _DEFAULT, last assignment wins). */
export function grubCmdline(config: string): string[] {
  const values = new Map<string, string>();
  for (const line of config.split('\n')) {
    const m = /^\s*(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(["']?)(.*)\2\s*$/.exec(line);
    if (m) values.set(m[1], m[3]);
  }
  return [...values.values()].join(' ').split(/\s+/).filter(Boolean);
}

/** grub_parameter: a kernel parameter (audit=1, apparmor=1) on the configured or the running command line. */
export const grubParameterCheck: CheckMethod<Fields> = {
  fields,
  command: (c) => ({ command: c.source === 'running' ? 'cat /proc/cmdline' : CONFIG_COMMAND, sudo: false }),
  evaluate(c, result) {
    const wantWord = c.expected === undefined ? c.key : `${c.key}=${c.expected}`;
    const where = c.source === 'running' ? 'the running kernel command line' : 'the grub kernel command line';
    const expected = `${wantWord} ${c.present ? 'on' : 'not on'} ${where}`;
    if (result.exitCode !== 0) return errorVerdict(expected, commandFailure(result));
    const words = c.source === 'running' ? result.stdout.trim().split(/\s+/) : grubCmdline(result.stdout);
    if (c.source === 'config' && result.stdout.trim() === '') return verdict(!c.present, expected, 'no grub defaults file (/etc/default/grub)');
    const mine = words.filter((w) => w === c.key || w.startsWith(`${c.key}=`));
    const has = mine.includes(wantWord) || (c.expected === undefined && mine.length > 0);
    return verdict(has === c.present, expected, mine.length ? `found ${mine.join(' ')}` : `${c.key} not set`);
  },
};
