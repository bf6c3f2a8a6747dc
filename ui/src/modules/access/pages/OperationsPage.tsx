import { Alert, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { EmptyState, PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { useCertExpiry, useDirectorySync, useOverview } from '../api';
import { Digest, StatusBadge } from '../components/format';

type Cert = NonNullable<ReturnType<typeof useCertExpiry>['data']>['items'][number];
type SyncRun = NonNullable<ReturnType<typeof useDirectorySync>['data']>['runs'][number];
const SEVERITY: Record<string, string> = { none: 'gray', ok: 'teal', warning: 'yellow', critical: 'red', expired: 'red' };

function Figure({ label, value }: { label: string; value: string | number }) {
  return <div><Text size="xs" c="dimmed">{label}</Text><Text fw={600} aria-label={`${label}: ${value}`}>{value}</Text></div>;
}

/** The control plane at a glance: counts, open alerts, certificate expiry and directory sync. */
export function OperationsPage() {
  const can = useCan();
  const overview = useOverview();
  const certs = useCertExpiry();
  const sync = useDirectorySync(can('access_dirsync:read'));

  if (overview.isPending) return <PageLoading />;
  if (overview.error) return <PageError error={overview.error} retry={() => overview.refetch()} />;
  const o = overview.data!;
  const certColumns: Column<Cert>[] = [
    { key: 'kind', header: 'Kind', render: (c) => c.kind },
    { key: 'id', header: 'Id', render: (c) => <code>{c.id}</code> },
    { key: 'not_after', header: 'Expires', render: (c) => formatTime(c.not_after) },
    { key: 'days', header: 'Days left', render: (c) => (c.days_left === null ? '—' : String(c.days_left)) },
    { key: 'severity', header: 'Severity', render: (c) => <Badge color={SEVERITY[c.severity]} variant="light">{c.severity}</Badge> },
    { key: 'note', header: 'Note', render: (c) => c.note ?? c.state ?? '—' },
  ];
  const runColumns: Column<SyncRun>[] = [
    { key: 'started', header: 'Started', render: (r) => formatTime(r.started_at) },
    { key: 'trigger', header: 'Trigger', render: (r) => `${r.trigger}${r.full ? ' (full)' : ''}` },
    { key: 'result', header: 'Result', render: (r) => <StatusBadge value={r.result} /> },
    { key: 'counts', header: 'Changes', render: (r) => `${r.counts.created} created · ${r.counts.updated} updated · ${r.counts.suspended} suspended · ${r.counts.devices_revoked} devices revoked` },
    { key: 'errors', header: 'Errors', render: (r) => r.errors.join('; ') || '—' },
  ];

  return (
    <>
      <PageHeader title="Operations" description={`The access control plane at a glance (as of ${formatTime(o.generated_at)}).`} />
      <Stack gap="md">
        <Card withBorder component="section" aria-label="Overview">
          <Title order={2} size="h4" mb="xs">Overview</Title>
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            {o.users ? <Figure label="Users" value={`${o.users.active} active of ${o.users.total}`} /> : null}
            <Figure label="Devices active" value={o.devices.active} />
            <Figure label="Devices pending" value={o.devices.pending} />
            <Figure label="Devices suspended" value={o.devices.suspended} />
            <Figure label="Gateways online" value={`${o.gateways.online} of ${o.gateways.total}`} />
            <Figure label="Gateways degraded or offline" value={o.gateways.degraded + o.gateways.offline} />
            <Figure label="Pools below minimum" value={`${o.pools.below_min_healthy} of ${o.pools.total}`} />
            <Figure label="Live sessions" value={o.sessions.active} />
            <Figure label="Audit events (24 h)" value={o.audit.events_24h} />
            <Figure label="SIEM forwarding" value={o.audit.siem_enabled ? 'on' : 'off'} />
          </SimpleGrid>
          <Group mt="sm" gap="lg">
            <Text size="sm" component="div">Stable bundle: {o.bundles.stable ? <>#{o.bundles.stable.serial} <Digest value={o.bundles.stable.digest} /></> : '—'}</Text>
            <Text size="sm" component="div">Canary bundle: {o.bundles.canary ? <>#{o.bundles.canary.serial} <Digest value={o.bundles.canary.digest} /></> : '—'}</Text>
          </Group>
          {o.audit.siem_last_error ? <Alert color="red" mt="sm" title="SIEM">{o.audit.siem_last_error}</Alert> : null}
        </Card>

        <section aria-label="Alerts">
          <Title order={2} size="h4" mb="xs">Alerts</Title>
          {o.alerts.length ? (
            <Stack gap={4}>{o.alerts.map((a, i) => <Alert key={`${a.kind}-${i}`} color="gray" title={a.kind.replace(/_/g, ' ')}>{a.detail}</Alert>)}</Stack>
          ) : <EmptyState title="No open alert" />}
        </section>

        <section aria-label="Certificate expiry">
          <Title order={2} size="h4" mb="xs">Certificate expiry</Title>
          {certs.isPending ? <PageLoading label="Loading certificate expiry" /> : certs.error ? <PageError error={certs.error} retry={() => certs.refetch()} /> : !certs.data!.items.length ? <EmptyState title="No key or certificate to watch" /> : (
            <Table aria-label="Certificates" withTableBorder striped>
              <Table.Thead><Table.Tr>{certColumns.map((c) => <Table.Th key={c.key}>{c.header}</Table.Th>)}</Table.Tr></Table.Thead>
              <Table.Tbody>
                {certs.data!.items.map((row) => <Table.Tr key={`${row.kind}-${row.id}`}>{certColumns.map((c) => <Table.Td key={c.key} style={c.key === 'id' ? { wordBreak: 'break-all' } : undefined}>{c.render(row)}</Table.Td>)}</Table.Tr>)}
              </Table.Tbody>
            </Table>
          )}
        </section>

        {can('access_dirsync:read') ? (
          <section aria-label="Directory sync">
            <Title order={2} size="h4" mb="xs">Directory sync</Title>
            {sync.isPending ? <PageLoading label="Loading directory sync" /> : sync.error ? <PageError error={sync.error} retry={() => sync.refetch()} /> : (
              <Stack gap="xs">
                {sync.data!.keycloak ? (
                  <Table withRowBorders={false} aria-label="Keycloak settings">
                    <Table.Tbody>
                      <Table.Tr><Table.Th scope="row">Keycloak</Table.Th><Table.Td>{sync.data!.keycloak.base_url} · realm {sync.data!.keycloak.realm}</Table.Td></Table.Tr>
                      <Table.Tr><Table.Th scope="row">Every</Table.Th><Table.Td>{sync.data!.keycloak.interval_minutes} min</Table.Td></Table.Tr>
                      <Table.Tr><Table.Th scope="row">Next run</Table.Th><Table.Td>{formatTime(sync.data!.keycloak.next_run_at)}</Table.Td></Table.Tr>
                    </Table.Tbody>
                  </Table>
                ) : <Text size="sm" c="dimmed">No directory configured.</Text>}
                <DataTable label="Sync runs" columns={runColumns} rows={sync.data!.runs} rowKey={(r) => r.id} empty="No sync has run yet." />
              </Stack>
            )}
          </section>
        ) : null}
      </Stack>
    </>
  );
}
