import { Anchor, Select, Space, Text } from '@mantine/core';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { useDevices, useGatewayHealth, useSessions, useUserNames } from '../api';
import { ConnectionTruthPanel } from '../components/ConnectionTruthPanel';
import { formatBytes, OPTIONS, StatusBadge } from '../components/format';
import { useUrlFilters } from '../components/paging';
import type { Session } from '../model';

/** VPN sessions as the gateways meter them: who, through which gateway, since when, how much. */
export function SessionsPage() {
  const { filters, set } = useUrlFilters(['state', 'device_id', 'gateway_id'] as const);
  const sessions = useSessions({ ...filters, state: filters.state as 'active' | 'closed' | undefined });
  const { names } = useUserNames();
  const devices = useDevices({}).data?.items ?? [];
  const gateways = useGatewayHealth().data?.gateways ?? [];
  const deviceName = (id: string) => devices.find((d) => d.id === id)?.name ?? id.slice(0, 8);
  const gatewayName = (id: string) => gateways.find((g) => g.id === id)?.name ?? id.slice(0, 8);

  const columns: Column<Session>[] = [
    {
      key: 'device',
      header: 'Device',
      render: (s) => (
        <Anchor component="button" type="button" size="sm" onClick={() => set('device_id', s.device_id)} aria-label={`Only the sessions of ${deviceName(s.device_id)}`}>
          {deviceName(s.device_id)}
        </Anchor>
      ),
    },
    { key: 'user', header: 'User', render: (s) => names(s.user_id) },
    { key: 'gateway', header: 'Gateway', render: (s) => gatewayName(s.gateway_id) },
    { key: 'ip', header: 'Addresses', render: (s) => <code>{[s.client_ip, s.overlay_ip].filter(Boolean).join(' → ') || '—'}</code> },
    { key: 'state', header: 'State', render: (s) => <StatusBadge value={s.state} /> },
    { key: 'time', header: 'Started · last seen', render: (s) => <Text size="sm">{formatTime(s.started_at)}<br />{formatTime(s.last_seen_at)}</Text> },
    { key: 'bytes', header: 'Received / sent', render: (s) => `${formatBytes(s.bytes_rx)} / ${formatBytes(s.bytes_tx)}` },
    { key: 'closed', header: 'Closed because', render: (s) => s.closed_reason ?? '' },
  ];
  return (
    <>
      <PageHeader title="Sessions" description="Tunnels between devices and gateways, from the gateways' metering: the newest 200." />
      <section aria-label="Connection truth">
        <ConnectionTruthPanel deviceName={deviceName} gatewayName={gatewayName} />
      </section>
      <Space h="md" />
      <DataTable
        label="Sessions"
        columns={columns}
        rows={sessions.data?.items}
        rowKey={(s) => s.id}
        loading={sessions.isPending}
        error={sessions.error}
        retry={() => sessions.refetch()}
        filters={
          <>
            <Select label="State" placeholder="All" clearable data={[...OPTIONS.sessionState]} value={filters.state ?? null} onChange={(v) => set('state', v)} />
            <Select label="Device" placeholder="All" clearable searchable data={devices.map((d) => ({ value: d.id, label: d.name }))} value={filters.device_id ?? null} onChange={(v) => set('device_id', v)} />
            <Select label="Gateway" placeholder="All" clearable searchable data={gateways.map((g) => ({ value: g.id, label: g.name }))} value={filters.gateway_id ?? null} onChange={(v) => set('gateway_id', v)} />
          </>
        }
        empty={Object.values(filters).some(Boolean) ? 'No session matches these filters.' : 'Sessions appear when a device connects through a gateway.'}
      />
    </>
  );
}
