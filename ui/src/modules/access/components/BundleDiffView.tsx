import { Code, Group, Paper, Select, Stack, Text, Title } from '@mantine/core';
import { PageError, PageLoading } from '../../../shared/components/states';
import { useBundleDiff, useGroups } from '../api';
import type { Bundle, Rule } from '../model';
import { Digest } from './format';

/** A rule in one line: what it does, from whom, to where. */
export function ruleSummary(r: Rule, groupName: (id: string) => string = (id) => id): string {
  const s = r.sources ?? {};
  const from = [...(s.group_ids ?? []).map((g) => `group ${groupName(g)}`), ...(s.user_ids ?? []).map((u) => `user ${u}`), ...(s.device_ids ?? []).map((d) => `device ${d}`)];
  const to = r.destinations.map((d) => `${d.cidr ?? d.fqdn} ${d.protocol}${d.ports?.length ? `/${d.ports.join(',')}` : ''}`);
  return `${r.action} ${from.join(', ') || 'anyone'} → ${to.join('; ')}`;
}

/** Two bundles picked by digest, and the rules added, removed and changed between them. */
export function BundleDiffView({ bundles, from, to, onPick }: { bundles: Bundle[]; from: string | null; to: string | null; onPick: (which: 'from' | 'to', digest: string | null) => void }) {
  const diff = useBundleDiff(from, to);
  const groups = useGroups().data ?? [];
  const groupName = (id: string) => groups.find((g) => g.id === id)?.name ?? id;
  const choices = [...new Map(bundles.map((b) => [b.digest, { value: b.digest, label: `#${b.serial} ${b.channel} · ${b.digest.slice(0, 19)}…` }])).values()];
  return (
    <Stack gap="sm">
      <Group align="flex-end">
        <Select label="From digest" placeholder="Pick a bundle" searchable data={choices} value={from} onChange={(v) => onPick('from', v)} w={320} />
        <Select label="To digest" placeholder="Pick a bundle" searchable data={choices} value={to} onChange={(v) => onPick('to', v)} w={320} />
      </Group>
      {!from || !to ? (
        <Text size="sm" c="dimmed">Pick two bundles to see what changed between them.</Text>
      ) : from === to ? (
        <Text size="sm" c="dimmed">The same digest: nothing changed.</Text>
      ) : diff.error ? (
        <PageError error={diff.error} retry={() => diff.refetch()} />
      ) : diff.isPending ? (
        <PageLoading label="Loading the diff" />
      ) : (
        <Paper withBorder p="sm" aria-label="Bundle diff" role="region">
          <Group gap="xs" mb="xs">
            <Text size="sm">#{diff.data.from.serial}</Text> <Digest value={diff.data.from.digest} /> <Text size="sm">→ #{diff.data.to.serial}</Text> <Digest value={diff.data.to.digest} />
          </Group>
          {diff.data.posture_changed && <Text size="sm" fw={600}>The posture requirements changed.</Text>}
          {diff.data.added.length + diff.data.removed.length + diff.data.changed.length === 0 ? (
            <Text size="sm">The rules are the same.</Text>
          ) : (
            <Stack gap={4}>
              <DiffLines title="Added" sign="+" color="teal" rules={diff.data.added} groupName={groupName} />
              <DiffLines title="Removed" sign="-" color="red" rules={diff.data.removed} groupName={groupName} />
              {diff.data.changed.length > 0 && (
                <>
                  <Title order={3} size="h6">Changed</Title>
                  {diff.data.changed.map((c) => (
                    <Code block key={c.id}>
                      {`  ${c.to.name} (${c.fields.join(', ')})\n- ${ruleSummary(c.from, groupName)}\n+ ${ruleSummary(c.to, groupName)}`}
                    </Code>
                  ))}
                </>
              )}
            </Stack>
          )}
        </Paper>
      )}
    </Stack>
  );
}

function DiffLines({ title, sign, color, rules, groupName }: { title: string; sign: string; color: string; rules: Rule[]; groupName: (id: string) => string }) {
  if (rules.length === 0) return null;
  return (
    <>
      <Title order={3} size="h6">{title}</Title>
      {rules.map((r) => (
        <Text key={`${r.id ?? r.name}`} size="sm" ff="monospace" c={`var(--mantine-color-${color}-light-color)`} style={{ whiteSpace: 'pre-wrap' }}>
          {`${sign} ${r.name}: ${ruleSummary(r, groupName)}`}
        </Text>
      ))}
    </>
  );
}
