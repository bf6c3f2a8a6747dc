import { Box, Code, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { useMemo, useState } from 'react';

type Line = { kind: ' ' | '+' | '-'; text: string };

/** A line diff of two texts (longest common subsequence; big inputs fall back to whole-text replace). */
export function diffLines(a: string, b: string): Line[] {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length * y.length > 4_000_000) return [...x.map((text) => ({ kind: '-' as const, text })), ...y.map((text) => ({ kind: '+' as const, text }))];
  const n = x.length;
  const m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ kind: ' ', text: x[i]! }); i++; j++; }
    else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ kind: '-', text: x[i++]! });
    else out.push({ kind: '+', text: y[j++]! });
  }
  while (i < n) out.push({ kind: '-', text: x[i++]! });
  while (j < m) out.push({ kind: '+', text: y[j++]! });
  return out;
}

const pretty = (v: unknown) => JSON.stringify(v ?? null, null, 2);

/** Two configuration snapshots, section by section (rules, nat, aliases ...): only the sections that differ, with context. */
export function JsonDiff({ before, after, beforeLabel, afterLabel }: { before: Record<string, unknown>; after: Record<string, unknown>; beforeLabel: string; afterLabel: string }) {
  const sections = useMemo(() => {
    const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
    return keys.map((key) => ({ key, lines: diffLines(pretty(before?.[key]), pretty(after?.[key])) })).filter((s) => s.lines.some((l) => l.kind !== ' '));
  }, [before, after]);
  const [only, setOnly] = useState<string>('changes');
  if (!sections.length) return <Text size="sm">The two versions hold the same configuration.</Text>;
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Text size="sm">
          <Text span c="red.9" fw={700}>−</Text> only in {beforeLabel}, <Text span c="teal.9" fw={700}>+</Text> only in {afterLabel}
        </Text>
        <SegmentedControl size="xs" value={only} onChange={setOnly} data={[{ value: 'changes', label: 'Changes with context' }, { value: 'all', label: 'Whole sections' }]} aria-label="Diff view" />
      </Group>
      {sections.map((s) => (
        <Box key={s.key} component="section" aria-label={`Changes in ${s.key}`}>
          <Text fw={600} size="sm" mb={4}>{s.key}</Text>
          <Code block tabIndex={0} aria-label={`Line diff of ${s.key}`} style={{ maxHeight: 420, overflow: 'auto' }}>
            {visible(s.lines, only === 'all').map((l, k) =>
              l === null ? <div key={k} style={{ opacity: 0.6 }}>…</div> : (
                <div key={k} className={l.kind === '+' ? 'diff-add' : l.kind === '-' ? 'diff-del' : undefined} style={{ background: l.kind === '+' ? 'var(--mantine-color-teal-light)' : l.kind === '-' ? 'var(--mantine-color-red-light)' : undefined, whiteSpace: 'pre' }}>
                  {l.kind === ' ' ? ' ' : l.kind === '+' ? '+' : '−'} {l.text}
                </div>
              ),
            )}
          </Code>
        </Box>
      ))}
    </Stack>
  );
}

/** The changed lines with three lines of context each side; null marks a cut. */
function visible(lines: Line[], all: boolean): Array<Line | null> {
  if (all) return lines;
  const keep = new Set<number>();
  lines.forEach((l, i) => { if (l.kind !== ' ') for (let k = i - 3; k <= i + 3; k++) keep.add(k); });
  const out: Array<Line | null> = [];
  let cut = false;
  lines.forEach((l, i) => {
    if (keep.has(i)) { out.push(l); cut = false; } else if (!cut) { out.push(null); cut = true; }
  });
  return out;
}
