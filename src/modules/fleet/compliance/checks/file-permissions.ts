import { dirname, basename } from 'node:path/posix';
import { z } from 'zod';
import { shellQuote } from '../shell.js';
import { absolutePath, type CheckMethod, commandFailure, errorVerdict, fileMissing, verdict } from './check-method.js';

const fields = z.strictObject({
  method: z.literal('file_permissions'),
  /** A file, or a pattern in its last part (/etc/ssh/ssh_host_*_key) matched by find -name. */
  path: absolutePath,
  /** Owner and group names; `root|shadow` accepts either. */
  owner: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
  /** The most permissive mode allowed (octal): 0640 accepts 0600 and 0640, not 0644. */
  mode: z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode such as 0640').optional(),
  /** Pass when the file (or every match of the pattern) does not exist. */
  missing_ok: z.boolean().default(false),
});
type Fields = z.infer<typeof fields>;

const STAT_FORMAT = shellQuote('%n|%a|%U|%G');

function hasPattern(path: string): boolean {
  return /[*?[]/.test(basename(path));
}

interface FileStat {
  path: string;
  mode: number;
  owner: string;
  group: string;
}

function parseStats(stdout: string): FileStat[] {
  return stdout.split('\n').filter(Boolean).map((line) => {
    const [path, mode, owner, group] = line.split('|');
    return { path, mode: parseInt(mode, 8), owner, group };
  });
}

/** What is wrong with one file, or null. */
function problems(c: Fields, file: FileStat): string | null {
  const wrong: string[] = [];
  if (c.mode !== undefined && (file.mode & ~parseInt(c.mode, 8)) !== 0) wrong.push(`mode ${file.mode.toString(8).padStart(4, '0')}`);
  if (c.owner !== undefined && !c.owner.split('|').includes(file.owner)) wrong.push(`owner ${file.owner}`);
  if (c.group !== undefined && !c.group.split('|').includes(file.group)) wrong.push(`group ${file.group}`);
  return wrong.length ? `${file.path}: ${wrong.join(', ')}` : null;
}

function describe(file: FileStat): string {
  return `${file.path} ${file.mode.toString(8).padStart(4, '0')} ${file.owner}:${file.group}`;
}

/** file_permissions: owner, group and a maximum mode of a file or of every file a pattern matches. */
export const filePermissionsCheck: CheckMethod<Fields> = {
  fields,
  command(c) {
    if (!hasPattern(c.path)) return { command: `stat -L -c ${STAT_FORMAT} -- ${shellQuote(c.path)}`, sudo: true };
    const find = `find ${shellQuote(dirname(c.path))} -maxdepth 1 -name ${shellQuote(basename(c.path))}`;
    return { command: `${find} -exec stat -L -c ${STAT_FORMAT} -- {} +`, sudo: true };
  },
  evaluate(c, result) {
    const wanted = [c.mode && `mode <= ${c.mode}`, c.owner && `owner ${c.owner}`, c.group && `group ${c.group}`].filter(Boolean);
    const expected = `${c.path}: ${wanted.join(', ')}`;
    const files = result.exitCode === 0 || hasPattern(c.path) ? parseStats(result.stdout) : [];
    if (fileMissing(result) || (result.exitCode === 0 && files.length === 0)) {
      return verdict(c.missing_ok, expected, hasPattern(c.path) ? `no file matches ${c.path}` : `${c.path} does not exist`);
    }
    if (result.exitCode !== 0 && files.length === 0) return errorVerdict(expected, commandFailure(result));
    const wrong = files.map((f) => problems(c, f)).filter((p): p is string => p !== null);
    return verdict(wrong.length === 0, expected, wrong.length ? wrong.join('; ') : files.map(describe).join('; '));
  },
};
