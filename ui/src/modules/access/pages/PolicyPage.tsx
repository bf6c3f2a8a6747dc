import { Button, Group, Paper, Select, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { policyCalls, useAccessAction, useBundles, type BundleFilters } from '../api';
import { BundleDiffView } from '../components/BundleDiffView';
import { Digest, OPTIONS, StatusBadge } from '../components/format';
import { CursorPager, useCursor, useUrlFilters } from '../components/paging';
import { PublishForm } from '../components/PublishForm';
import type { Bundle } from '../model';

/**
 * Policy bundles: what stable and canary devices get now, publishing (canary first, then promote), rolling back to an
 * older digest, the history, and a diff between any two digests (kept in the address: ?from=&to=).
 */
export function PolicyPage() {
  const can = useCan();
  const writable = can('access_policy:publish');
  const pager = useCursor();
  const { filters, set } = useUrlFilters(['status', 'channel'] as const, pager.reset);
  const history = useBundles(filters as BundleFilters, pager.cursor);
  const stable = useBundles({ status: 'stable' });
  const canary = useBundles({ status: 'canary' });
  const all = useBundles({});
  const [params, setParams] = useSearchParams();
  const [publishing, setPublishing] = useState(false);
  const promote = useAccessAction(policyCalls.promote, (r) => `Promoted: stable is now #${r.serial}.`);
  const rollback = useAccessAction(policyCalls.rollback, (r) => `Rolled back: stable is now #${r.serial}.`);
  const current = stable.data?.items[0];
  const pick = (which: 'from' | 'to', digest: string | null) => {
    const next = new URLSearchParams(params);
    if (digest) next.set(which, digest);
    else next.delete(which);
    setParams(next, { replace: true });
  };

  const columns: Column<Bundle>[] = [
    { key: 'serial', header: 'Serial', render: (b) => `#${b.serial}` },
    { key: 'channel', header: 'Channel', render: (b) => <StatusBadge value={b.channel} /> },
    { key: 'status', header: 'Status', render: (b) => <StatusBadge value={b.status} /> },
    { key: 'digest', header: 'Digest', render: (b) => <Digest value={b.digest} /> },
    { key: 'rules', header: 'Rules', render: (b) => b.rules?.length ?? '—' },
    { key: 'published', header: 'Published', render: (b) => formatTime(b.published_at) },
    { key: 'notes', header: 'Notes', render: (b) => b.notes ?? '' },
    {
      key: 'actions',
      header: 'Actions',
      render: (b) => (
        <Group gap={4} wrap="nowrap">
          {current && b.digest !== current.digest && (
            <Button size="compact-sm" variant="subtle" aria-label={`Compare #${b.serial} with stable`} onClick={() => setParams(new URLSearchParams({ ...Object.fromEntries(params), from: current.digest, to: b.digest }), { replace: true })}>
              With stable
            </Button>
          )}
          {writable && (b.status === 'superseded' || b.status === 'rolled_back') && b.channel === 'stable' && (
            <Button size="compact-sm" variant="subtle" loading={rollback.isPending} onClick={() => window.confirm(`Make bundle #${b.serial} (${b.digest.slice(0, 19)}…) stable again?`) && rollback.mutate(b.id)}>
              Roll back to #{b.serial}
            </Button>
          )}
        </Group>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Policy bundles"
        description="Signed, content-addressed rule sets. Devices in a canary get its bundle; every other device gets stable."
        actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={() => setPublishing(true)}>Publish bundle</Button>}
      />
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <ChannelCard title="Stable" query={stable} />
          <ChannelCard
            title="Canary"
            query={canary}
            action={
              writable &&
              canary.data?.items[0] && (
                <Button size="xs" loading={promote.isPending} onClick={() => window.confirm('Promote the canary bundle to every device?') && promote.mutate(canary.data.items[0].id)}>
                  Promote to stable
                </Button>
              )
            }
          />
        </SimpleGrid>
        <section aria-labelledby="diff-heading">
          <Title order={2} size="h4" id="diff-heading" mb="sm">Compare two digests</Title>
          <BundleDiffView bundles={all.data?.items ?? []} from={params.get('from')} to={params.get('to')} onPick={pick} />
        </section>
        <section aria-labelledby="history-heading">
          <Title order={2} size="h4" id="history-heading" mb="sm">History</Title>
          <DataTable
            label="Policy bundles"
            columns={columns}
            rows={history.data?.items}
            rowKey={(b) => b.id}
            loading={history.isPending}
            error={history.error}
            retry={() => history.refetch()}
            filters={
              <>
                <Select label="Status" placeholder="All" clearable data={[...OPTIONS.bundleStatus]} value={filters.status ?? null} onChange={(v) => set('status', v)} />
                <Select label="Channel" placeholder="All" clearable data={[...OPTIONS.channel]} value={filters.channel ?? null} onChange={(v) => set('channel', v)} />
              </>
            }
            empty="Publish the first bundle: until then every device is denied everything."
          />
          <CursorPager label="Policy bundles" page={pager.page} next={history.data?.next_cursor} onNext={pager.next} onPrev={pager.prev} />
        </section>
      </Stack>
      {publishing && <PublishForm initialRules={current?.rules} onClose={() => setPublishing(false)} />}
    </>
  );
}

function ChannelCard({ title, query, action }: { title: string; query: ReturnType<typeof useBundles>; action?: ReactNode }) {
  const b = query.data?.items[0];
  return (
    <Paper withBorder p="md" component="section" aria-label={`${title} channel`}>
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">{title}</Title>
        {action}
      </Group>
      {query.error ? (
        <PageError error={query.error} retry={() => query.refetch()} />
      ) : query.isPending ? (
        <PageLoading label={`Loading the ${title.toLowerCase()} bundle`} />
      ) : !b ? (
        <Text size="sm" c="dimmed">{title === 'Stable' ? 'Nothing published: devices are denied everything.' : 'No canary: every device gets stable.'}</Text>
      ) : (
        <Stack gap={4}>
          <Group gap="xs">
            <Text fw={600}>#{b.serial}</Text>
            <Digest value={b.digest} />
          </Group>
          <Text size="sm">{b.rules?.length === 1 ? '1 rule' : `${b.rules?.length ?? 0} rules`}, published {formatTime(b.published_at)}</Text>
          {b.canary && (
            <Text size="sm" c="dimmed">
              For {plural(b.canary.device_ids?.length ?? 0, 'device')}, {plural(b.canary.group_ids?.length ?? 0, 'group')}{b.canary.percent ? ` and ${b.canary.percent}% of the rest` : ''}
            </Text>
          )}
          {b.notes && <Text size="sm" c="dimmed">{b.notes}</Text>}
        </Stack>
      )}
    </Paper>
  );
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
