import type { HostSession } from '../../ssh/ssh.types.js';
import { unifiedDiff } from './diff.js';
import { type FileState, readHostFile, restoreHostFile, writeHostFile } from './host-files.js';
import type { PriorState, RemediationStep } from './step.js';

/**
 * A step that rewrites one file through a pure transform of its content. Dry run shows the diff; apply records the
 * whole prior file (or its absence) and writes only when the content changes; rollback writes the record back.
 */
export function fileEditStep(mechanism: string, path: string, description: string, transform: (content: string) => string): RemediationStep {
  const plan = async (session: HostSession) => {
    const before = await readHostFile(session, path);
    return { before, after: transform(before.content) };
  };
  return {
    mechanism,
    description,
    async dryRun(session) {
      const { before, after } = await plan(session);
      const diff = unifiedDiff(path, before.content, after);
      return { description: diff ? description : `${description} (already so: no change)`, diff: diff || null };
    },
    async apply(session) {
      const { before, after } = await plan(session);
      if (after !== before.content || !before.exists) await writeHostFile(session, path, after);
      return { path, exists: before.exists, content: before.content } satisfies PriorState;
    },
    async rollback(session, prior) {
      await restoreHostFile(session, String(prior.path ?? path), { exists: Boolean(prior.exists), content: String(prior.content ?? '') } satisfies FileState);
    },
  };
}

/** The content with every active `key` line set to `line`, or the line appended when the key is not set. */
export function setConfigLine(content: string, key: string, line: string, separator: string | undefined): string {
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  const isKey = (raw: string) => {
    const t = raw.trim();
    if (!t || t.startsWith('#')) return false;
    const at = separator?.trim() ? t.indexOf(separator.trim()) : t.search(/\s/);
    return at > 0 && t.slice(0, at).trim() === key;
  };
  let replaced = false;
  const next = lines.map((l) => (isKey(l) ? ((replaced = true), line) : l));
  if (!replaced) next.push(line);
  return `${next.join('\n')}\n`;
}

/** The content with `line` present (appended when no line equals it). */
export function ensureLine(content: string, line: string): string {
  const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
  if (lines.some((l) => l.trim() === line.trim())) return content;
  return `${[...lines, line].join('\n')}\n`;
}
