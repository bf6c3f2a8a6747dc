import { ActionIcon, Alert, Badge, Button, Group, Modal, Paper, Radio, ScrollArea, Select, SimpleGrid, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { IconDeviceFloppy, IconHistory } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { EmptyState, PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { calls, useConfigDiff, useConfigHistory, useEdgeAction, useInterfaces, useRestorePreview } from '../api';
import { EdgePage } from '../components/EdgePage';
import { JsonDiff } from '../components/JsonDiff';
import type { ConfigVersion } from '../model';

/**
 * Every applied change saves a configuration version (when its content changed). Compare any two (pick "from" and
 * "to"), save one by hand with a comment, or restore one (interfaces it names that this box lacks are mapped or
 * dropped first).
 */
export function ConfigHistoryPage() {
  const can = useCan();
  const writable = can('backup:write');
  const history = useConfigHistory();
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [restoring, setRestoring] = useState<ConfigVersion | null>(null);
  const [comment, setComment] = useState('');
  const save = useEdgeAction((c: string) => calls.saveSnapshot(c || null), (r) => r?.message ?? 'Configuration saved as a new version.');
  const versions = history.data;
  useEffect(() => {
    // By default compare the newest version with the one before it.
    if (versions && versions.length >= 2 && from === null && to === null) {
      const sorted = [...versions].sort((a, b) => b.version - a.version);
      setTo(sorted[0]!.version);
      setFrom(sorted[1]!.version);
    }
  }, [versions, from, to]);
  const sorted = versions ? [...versions].sort((a, b) => b.version - a.version) : undefined;
  return (
    <EdgePage title="Configuration history" description="Versions of the edge's configuration, newest first: compare two, or restore one.">
      {writable && (
        <form onSubmit={(e) => { e.preventDefault(); save.mutate(comment, { onSuccess: () => setComment('') }); }}>
          <Group align="flex-end" mb="md">
            <TextInput label="Comment" placeholder="before changing the NAT" value={comment} onChange={(e) => setComment(e.currentTarget.value)} w={320} />
            <Button type="submit" leftSection={<IconDeviceFloppy size={16} />} loading={save.isPending}>Save current configuration</Button>
          </Group>
        </form>
      )}
      {history.error ? (
        <PageError error={history.error} retry={() => history.refetch()} />
      ) : !sorted ? (
        <PageLoading label="Loading configuration versions" />
      ) : sorted.length === 0 ? (
        <EmptyState title="No configuration version yet">A version is saved at each change that is applied, or by hand above.</EmptyState>
      ) : (
        <Stack>
          <ScrollArea type="auto">
            <Table striped highlightOnHover verticalSpacing="xs" miw={900} aria-label="Configuration versions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">From</Table.Th>
                  <Table.Th scope="col">To</Table.Th>
                  <Table.Th scope="col">Version</Table.Th>
                  <Table.Th scope="col">Saved</Table.Th>
                  <Table.Th scope="col">By</Table.Th>
                  <Table.Th scope="col">Comment</Table.Th>
                  <Table.Th scope="col">Resources</Table.Th>
                  <Table.Th scope="col">Hash</Table.Th>
                  {writable && <Table.Th scope="col">Actions</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {sorted.map((v) => (
                  <Table.Tr key={v.version}>
                    <Table.Td><Radio name="diff-from" checked={from === v.version} onChange={() => setFrom(v.version)} aria-label={`Compare from version ${v.version}`} /></Table.Td>
                    <Table.Td><Radio name="diff-to" checked={to === v.version} onChange={() => setTo(v.version)} aria-label={`Compare to version ${v.version}`} /></Table.Td>
                    <Table.Td>
                      <Group gap={6}>
                        <Text fw={600}>v{v.version}</Text>
                        {v.applied && <Badge size="xs" color="teal">applied</Badge>}
                        {v.rolled_back && <Badge size="xs" color="orange">rolled back</Badge>}
                      </Group>
                    </Table.Td>
                    <Table.Td>{formatTime(v.created_at)}</Table.Td>
                    <Table.Td>{v.created_by}</Table.Td>
                    <Table.Td>{v.comment || '—'}</Table.Td>
                    <Table.Td>{v.resource_count}</Table.Td>
                    <Table.Td><Tooltip label={v.hash}><code>{v.hash.slice(0, 10)}</code></Tooltip></Table.Td>
                    {writable && (
                      <Table.Td>
                        <ActionIcon variant="subtle" aria-label={`Restore version ${v.version}`} onClick={() => setRestoring(v)}><IconHistory size={16} /></ActionIcon>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea>
          <DiffPanel from={from} to={to} />
        </Stack>
      )}
      {restoring && <RestoreModal version={restoring} onClose={() => setRestoring(null)} />}
    </EdgePage>
  );
}

function DiffPanel({ from, to }: { from: number | null; to: number | null }) {
  const diff = useConfigDiff(from, to);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="diff-title">
      <Title order={2} size="h4" id="diff-title" mb="sm">{from !== null && to !== null ? `Changes from v${from} to v${to}` : 'Changes'}</Title>
      {from === null || to === null ? (
        <Text size="sm" c="dimmed">Pick a "from" and a "to" version above.</Text>
      ) : from === to ? (
        <Text size="sm" c="dimmed">Pick two different versions.</Text>
      ) : diff.error ? (
        <PageError error={diff.error} retry={() => diff.refetch()} />
      ) : !diff.data ? (
        <PageLoading label="Loading the comparison" />
      ) : (
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Summary title="Rules" d={diff.data.rules_diff} />
            <Summary title="NAT" d={diff.data.nat_diff} />
            <Paper withBorder p="sm"><Text size="xs" c="dimmed">Resources</Text><Text fw={600}>{diff.data.total_v1} → {diff.data.total_v2}</Text></Paper>
          </SimpleGrid>
          {diff.data.identical ? <Text size="sm">The two versions hold the same configuration.</Text> : <JsonDiff before={diff.data.v1_json} after={diff.data.v2_json} beforeLabel={`v${from}`} afterLabel={`v${to}`} />}
        </Stack>
      )}
    </Paper>
  );
}

function Summary({ title, d }: { title: string; d: { added: number; removed: number; v1_count: number; v2_count: number } }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">{title}</Text>
      <Text fw={600}>{d.v1_count} → {d.v2_count}</Text>
      <Text size="sm"><Text span c="teal.9">+{d.added}</Text> <Text span c="red.9">−{d.removed}</Text></Text>
    </Paper>
  );
}

function RestoreModal({ version, onClose }: { version: ConfigVersion; onClose: () => void }) {
  const preview = useRestorePreview(version.version);
  const interfaces = useInterfaces();
  const [map, setMap] = useState<Record<string, string>>({});
  const restore = useEdgeAction(calls.restore, (r) => r?.message ?? `Version ${version.version} restored.`);
  const missing = preview.data?.interfaces_missing ?? [];
  const options = [{ value: '__keep__', label: 'Keep the name' }, { value: '__drop__', label: 'Drop what uses it' }, ...(interfaces.data ?? []).map((i) => ({ value: i.name, label: i.name }))];
  const drop = Object.entries(preview.data?.drop_summary_if_unmapped ?? {}).filter(([, n]) => n);
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Restore version ${version.version}`} size="lg">
      <Stack>
        <Text size="sm">The edge's configuration becomes what it was at v{version.version} ({formatTime(version.created_at)}{version.comment ? `, "${version.comment}"` : ''}). The current one stays in the history.</Text>
        {preview.error ? (
          <PageError error={preview.error} retry={() => preview.refetch()} />
        ) : !preview.data ? (
          <PageLoading label="Checking the interfaces it names" />
        ) : missing.length === 0 ? (
          <Text size="sm">Every interface it names is on this box.</Text>
        ) : (
          <>
            <Alert color="yellow" title="Interfaces this box does not have">
              Map each to an interface here, or drop what uses it{drop.length ? ` (unmapped, it would drop ${drop.map(([k, n]) => `${n === true ? '' : `${n} `}${k}`).join(', ')})` : ''}.
            </Alert>
            {missing.map((name) => (
              <Select key={name} label={`Interface ${name}`} data={options} value={map[name] ?? preview.data!.suggestions?.[name] ?? '__keep__'} onChange={(v) => setMap((m) => ({ ...m, [name]: v ?? '__keep__' }))} allowDeselect={false} />
            ))}
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button
            color="orange"
            loading={restore.isPending}
            disabled={!preview.data}
            onClick={() => {
              const interfaceMap: Record<string, string | null> = {};
              for (const name of missing) {
                const choice = map[name] ?? preview.data?.suggestions?.[name] ?? '__keep__';
                interfaceMap[name] = choice === '__drop__' ? null : choice === '__keep__' ? name : choice;
              }
              restore.mutate({ version: version.version, interfaceMap }, { onSuccess: onClose });
            }}
          >
            Restore v{version.version}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
