import { z } from 'zod';
import { type CheckMethod, commandFailure, errorVerdict, verdict } from './check-method.js';

const fields = z.strictObject({
  method: z.literal('kernel_module_state'),
  name: z.string().regex(/^[a-z0-9_-]+$/i, 'must be a kernel module name'),
  /** disabled: not loaded and unloadable (an `install <name> /bin/false` line); loaded: in /proc/modules. */
  state: z.enum(['disabled', 'loaded']).default('disabled'),
  /** With disabled: also require a `blacklist <name>` line. */
  blacklisted: z.boolean().default(false),
});
type Fields = z.infer<typeof fields>;

const MARKER = '@@loaded-modules';
// modprobe configuration from every directory modprobe reads, then the loaded modules (absent: nothing loaded).
const COMMAND =
  `cat /etc/modprobe.d/*.conf /run/modprobe.d/*.conf /usr/lib/modprobe.d/*.conf /lib/modprobe.d/*.conf 2>/dev/null; ` +
  `echo ${MARKER}; cat /proc/modules 2>/dev/null; true`;

/** The kernel names modules with underscores whatever the file says. */
const canonical = (name: string) => name.replace(/-/g, '_');

/** kernel_module_state: a module (cramfs, usb-storage) is disabled in modprobe configuration and not loaded. */
export const kernelModuleStateCheck: CheckMethod<Fields> = {
  fields,
  command: () => ({ command: COMMAND, sudo: false }),
  evaluate(c, result) {
    const expected = c.state === 'loaded' ? `${c.name} loaded` : `${c.name} not loaded, install -> /bin/false${c.blacklisted ? ', blacklisted' : ''}`;
    if (result.exitCode !== 0 || !result.stdout.includes(MARKER)) return errorVerdict(expected, commandFailure(result));
    const [config, modules] = result.stdout.split(MARKER);
    const name = canonical(c.name);
    const loaded = modules.split('\n').some((l) => canonical(l.split(' ')[0]) === name);
    const directives = config.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => canonical(w[1] ?? '') === name);
    const installFalse = directives.some((w) => w[0] === 'install' && /^\/(usr\/)?bin\/(false|true)$/.test(w[2] ?? ''));
    const blacklisted = directives.some((w) => w[0] === 'blacklist');
    const actual = `${c.name}: ${loaded ? 'loaded' : 'not loaded'}, install -> ${installFalse ? '/bin/false' : 'not disabled'}, ${blacklisted ? 'blacklisted' : 'not blacklisted'}`;
    if (c.state === 'loaded') return verdict(loaded, expected, actual);
    return verdict(!loaded && installFalse && (!c.blacklisted || blacklisted), expected, actual);
  },
};
