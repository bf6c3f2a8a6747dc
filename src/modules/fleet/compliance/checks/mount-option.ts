import { z } from 'zod';
import { shellQuote } from '../shell.js';
import { absolutePath, type CheckMethod, commandFailure, errorVerdict, verdict } from './check-method.js';

const fields = z.strictObject({
  method: z.literal('mount_option'),
  mount_point: absolutePath,
  /** Options the mount must carry (nodev, nosuid, noexec); empty: it must only be a separate mount. */
  options: z.array(z.string().regex(/^[a-z0-9_=,.-]+$/i, 'must be a mount option')).default([]),
});
type Fields = z.infer<typeof fields>;

/** mount_option: the path is a mount point of its own and carries the options (findmnt of the live mount table). */
export const mountOptionCheck: CheckMethod<Fields> = {
  fields,
  command: (c) => ({ command: `findmnt -n -o OPTIONS --mountpoint ${shellQuote(c.mount_point)}`, sudo: false }),
  evaluate(c, result) {
    const expected = `${c.mount_point} mounted separately${c.options.length ? ` with ${c.options.join(',')}` : ''}`;
    // findmnt exits 1 with no output when nothing is mounted there.
    if (result.exitCode === 1 && result.stdout.trim() === '') return verdict(false, expected, `${c.mount_point} is not a separate mount`);
    if (result.exitCode !== 0) return errorVerdict(expected, commandFailure(result));
    const options = result.stdout.trim().split('\n')[0].split(',');
    const missing = c.options.filter((o) => !options.includes(o));
    const actual = `${c.mount_point} options ${options.join(',')}${missing.length ? ` (missing ${missing.join(',')})` : ''}`;
    return verdict(missing.length === 0, expected, actual);
  },
};
