import { Anchor, Badge, Button, Code, Group, Popover, Select, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { download } from '../../../shared/download';
import { formatTime } from '../../../shared/format';
import { fetchAll, toCsv, useAuditPage, type ActorType, type AuditEvent, type AuditFilters } from '../api';

const ACTOR_TYPES: ActorType[] = ['user', 'api_key', 'service_account', 'device', 'system', 'anonymous'];
const RESULT_COLOR = { success: 'teal', failure: 'orange', denied: 'red' } as const;

/** The one audit trail of every module. Filters live in the address, so a correlation id is a link. */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const filters: AuditFilters = {
    action: params.get('action') ?? undefined,
    correlation_id: params.get('correlation_id') ?? undefined,
    actor_type: (params.get('actor_type') as ActorType) ?? undefined,
    since: params.get('since') ?? undefined,
    until: params.get('until') ?? undefined,
  };
  // Cursor pages: the cursors of the pages before this one, so "previous" works too.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const events = useAuditPage(filters, cursors.at(-1));
  const setFilter = (key: keyof AuditFilters, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
    setCursors([undefined]);
  };

  const columns: Column<AuditEvent>[] = [
    { key: 'when', header: 'When', render: (e) => formatTime(e.occurred_at) },
    { key: 'action', header: 'Action', render: (e) => e.action },
    { key: 'result', header: 'Result', render: (e) => <Badge color={RESULT_COLOR[e.result]} variant="light">{e.result}</Badge> },
    { key: 'actor', header: 'Actor', render: (e) => `${e.actor_name ?? e.actor_id ?? '—'} (${e.actor_type})` },
    { key: 'resource', header: 'Resource', render: (e) => (e.resource_type ? `${e.resource_type} ${e.resource_id ?? ''}` : '—') },
    { key: 'ip', header: 'Client', render: (e) => e.client_ip ?? '—' },
    {
      key: 'correlation',
      header: 'Correlation',
      render: (e) =>
        e.correlation_id ? (
          <Anchor component={Link} to={`/audit?correlation_id=${encodeURIComponent(e.correlation_id)}`} size="sm" aria-label={`Events of request ${e.correlation_id}`}>
            {e.correlation_id.slice(0, 8)}
          </Anchor>
        ) : '—',
    },
    { key: 'details', header: 'Details', render: (e) => <Details event={e} /> },
  ];

  return (
    <>
      <PageHeader
        title="Audit trail"
        description="Every change and sign-in, of every module, newest first."
        actions={
          <>
            <ExportButton filters={filters} format="csv" />
            <ExportButton filters={filters} format="json" />
          </>
        }
      />
      <DataTable
        label="Audit events"
        columns={columns}
        rows={events.data?.items}
        rowKey={(e) => e.id}
        loading={events.isPending}
        error={events.error}
        retry={() => events.refetch()}
        filters={
          <>
            <TextInput label="Action" placeholder="identity.login" defaultValue={filters.action} onBlur={(e) => setFilter('action', e.currentTarget.value.trim() || null)} onKeyDown={(e) => e.key === 'Enter' && setFilter('action', e.currentTarget.value.trim() || null)} />
            <Select label="Actor type" placeholder="Any" clearable data={ACTOR_TYPES} value={filters.actor_type ?? null} onChange={(v) => setFilter('actor_type', v)} />
            <TextInput label="Correlation id" defaultValue={filters.correlation_id} key={filters.correlation_id} onBlur={(e) => setFilter('correlation_id', e.currentTarget.value.trim() || null)} onKeyDown={(e) => e.key === 'Enter' && setFilter('correlation_id', e.currentTarget.value.trim() || null)} />
            <TextInput label="Since" type="datetime-local" defaultValue={local(filters.since)} onChange={(e) => setFilter('since', iso(e.currentTarget.value))} />
            <TextInput label="Until" type="datetime-local" defaultValue={local(filters.until)} onChange={(e) => setFilter('until', iso(e.currentTarget.value))} />
          </>
        }
        empty="Nothing matches these filters."
      />
      <Group justify="flex-end" mt="sm">
        <Button variant="default" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>Newer</Button>
        <Button variant="default" disabled={!events.data?.next_cursor} onClick={() => setCursors([...cursors, events.data!.next_cursor!])}>Older</Button>
      </Group>
    </>
  );
}

function Details({ event }: { event: AuditEvent }) {
  if (Object.keys(event.details).length === 0) return '—';
  return (
    <Popover width={360} position="left" withArrow>
      <Popover.Target>
        <Button size="compact-xs" variant="subtle">Show</Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Code block>{JSON.stringify(event.details, null, 2)}</Code>
      </Popover.Dropdown>
    </Popover>
  );
}

function ExportButton({ filters, format }: { filters: AuditFilters; format: 'csv' | 'json' }) {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const events = await fetchAll(filters);
      const stamp = new Date().toISOString().replaceAll(':', '-');
      if (format === 'csv') download(`rampart-audit-${stamp}.csv`, 'text/csv', toCsv(events));
      else download(`rampart-audit-${stamp}.json`, 'application/json', JSON.stringify(events, null, 2));
    } catch (err) {
      notifications.show({ color: 'red', title: 'Export failed', message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button variant="default" leftSection={<IconDownload size={16} />} loading={busy} onClick={run}>
      Export {format.toUpperCase()}
    </Button>
  );
}

/** datetime-local values are the reader's local time; the API takes RFC 3339. */
const iso = (local: string) => (local ? new Date(local).toISOString() : null);
const local = (value: string | undefined) => {
  if (!value) return undefined;
  const d = new Date(value);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
