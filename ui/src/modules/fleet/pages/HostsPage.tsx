import { ActionIcon, Anchor, Badge, Button, Group, Switch, Text, TextInput } from '@mantine/core';
import { IconPencil, IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useCan } from '../../../app/auth/session';
import { DataTable, pageQuery, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { hostCalls, useFleetAction, useHosts, type HostRow } from '../api';
import { hostLabel, NotYet, StateBadge } from '../format';
import { HostForm } from './HostForm';

/** Hosts per page: a fleet of thousands is read a page at a time, never whole. */
const PAGE_SIZE = 50;

/** Managed hosts with their liveness and compliance, a page at a time; filters and page kept in the address. */
export function HostsPage() {
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const filters = { environment: params.get('environment') || undefined, tag: params.get('tag') || undefined };
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '', 10) || 1);
  const hosts = useHosts({ ...filters, ...pageQuery(page, PAGE_SIZE) });
  const [editing, setEditing] = useState<HostRow | 'new' | null>(null);
  const setParam = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    // Another filter lists other hosts: start again at their first page.
    if (name !== 'page') next.delete('page');
    setParams(next, { replace: true });
  };
  // A page past the end (hosts deleted meanwhile, an old link) moves to the last page that has hosts.
  const lastPage = hosts.data ? Math.max(1, Math.ceil(hosts.data.total / PAGE_SIZE)) : page;
  useEffect(() => {
    if (page > lastPage) setParam('page', lastPage > 1 ? String(lastPage) : '');
  });
  const columns: Column<HostRow>[] = [
    { key: 'host', header: 'Host', render: (h) => <Anchor component={Link} to={`/fleet/hosts/${h.id}`}>{hostLabel(h)}</Anchor> },
    { key: 'address', header: 'Address', render: (h) => <code>{`${h.ip_address}:${h.port}`}</code> },
    { key: 'env', header: 'Environment', render: (h) => h.environment },
    { key: 'tags', header: 'Tags', render: (h) => <Group gap={4}>{h.tags.map((t) => <Badge key={t} variant="outline" size="sm">{t}</Badge>)}</Group> },
    { key: 'liveness', header: 'Liveness', render: (h) => (h.liveness ? <StateBadge value={h.liveness.monitoring_state} /> : <NotYet>not probed yet</NotYet>) },
    { key: 'compliance', header: 'Compliance', render: (h) => <Compliance host={h} /> },
    { key: 'scanned', header: 'Last scan', render: (h) => (h.scan_state ? <StateBadge value={h.scan_state} /> : formatTime(h.last_scan_at)) },
    { key: 'maintenance', header: 'Maintenance', render: (h) => <Maintenance host={h} writable={can('host:write')} /> },
  ];
  if (can('host:write')) columns.push({ key: 'actions', header: 'Actions', render: (h) => <HostActions host={h} onEdit={() => setEditing(h)} canDelete={can('host:delete')} /> });
  return (
    <>
      <PageHeader title="Hosts" description="The machines Rampart scans over SSH." actions={can('host:write') && <Button onClick={() => setEditing('new')}>Add host</Button>} />
      <DataTable
        label="Hosts"
        columns={columns}
        rows={hosts.data?.hosts}
        rowKey={(h) => h.id}
        total={hosts.data?.total}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={(p) => setParam('page', p > 1 ? String(p) : '')}
        loading={hosts.isPending}
        error={hosts.error}
        retry={() => hosts.refetch()}
        filters={
          <>
            <TextInput label="Environment" defaultValue={filters.environment} onChange={(e) => setParam('environment', e.currentTarget.value.trim())} />
            <TextInput label="Tag" defaultValue={filters.tag} onChange={(e) => setParam('tag', e.currentTarget.value.trim())} />
          </>
        }
        empty={filters.environment || filters.tag ? 'No host matches these filters.' : 'Add a host, give it a credential, and scan it.'}
      />
      {editing && <HostForm host={editing === 'new' ? undefined : editing} opened onClose={() => setEditing(null)} />}
    </>
  );
}

function Compliance({ host }: { host: HostRow }) {
  const s = host.compliance_summary;
  if (!s || s.total === 0) return <NotYet>not scanned</NotYet>;
  return (
    <Text size="sm">
      {s.passing}/{s.total} pass{s.critical_failing > 0 && <Text span c="red" fw={600}>{` · ${s.critical_failing} critical`}</Text>}
    </Text>
  );
}

function Maintenance({ host, writable }: { host: HostRow; writable: boolean }) {
  const toggle = useFleetAction(hostCalls.maintenance, (h) => `${h.hostname} ${h.maintenance_mode ? 'is in maintenance' : 'left maintenance'}.`);
  return <Switch aria-label={`Maintenance for ${host.hostname}`} checked={host.maintenance_mode} disabled={!writable || toggle.isPending} onChange={(e) => toggle.mutate({ id: host.id, enabled: e.currentTarget.checked })} />;
}

function HostActions({ host, onEdit, canDelete }: { host: HostRow; onEdit: () => void; canDelete: boolean }) {
  const remove = useFleetAction(hostCalls.remove, `Host ${host.hostname} deleted.`);
  return (
    <Group gap={4} wrap="nowrap">
      <ActionIcon variant="subtle" aria-label={`Edit ${host.hostname}`} onClick={onEdit}>
        <IconPencil size={16} />
      </ActionIcon>
      {canDelete && (
        <ActionIcon variant="subtle" color="red" aria-label={`Delete ${host.hostname}`} loading={remove.isPending} onClick={() => window.confirm(`Delete ${host.hostname}? Its scan history stays.`) && remove.mutate(host.id)}>
          <IconTrash size={16} />
        </ActionIcon>
      )}
    </Group>
  );
}
