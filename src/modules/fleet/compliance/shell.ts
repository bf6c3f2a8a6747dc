/**
 * Quoting for values that go into shell commands run on managed hosts. Every value that comes from a rule or a site
 * variable passes through here, so no value can end a word or start a new command.
 */

/** A value no shell word can carry. */
export class UnquotableValueError extends Error {}

/** One shell word holding exactly `value`: single quotes, with each embedded quote closed, escaped and reopened. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new UnquotableValueError('a NUL byte cannot be passed to a shell command');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The words quoted and joined by spaces. */
export function shellWords(...words: string[]): string {
  return words.map(shellQuote).join(' ');
}
