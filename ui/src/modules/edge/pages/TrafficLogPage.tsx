import { Badge, Button, Group, Select, Switch, Tabs, Text, TextInput } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { formatTime } from '../../../shared/format';
import { useBlocked, useLogs } from '../api';
import { EdgePage } from '../components/EdgePage';
import type { BlockedEntry, LogEntry } from '../model';

const PAGE = 100;

/** Recently blocked traffic (what the block rules logged) and the firewall's log, with filters in the address. */
export function TrafficLogPage() {
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'logs' ? 'logs' : 'blocked';
  return (
    <EdgePage title="Blocked traffic and logs" description="What the block rules stopped, newest first, and the log of the firewall's changes and events.">
      <Tabs value={tab} onChange={(t) => setParams(t === 'logs' ? { tab: 'logs' } : {}, { replace: true })}>
        <Tabs.List mb="sm">
          <Tabs.Tab value="blocked">Blocked traffic</Tabs.Tab>
          <Tabs.Tab value="logs">Logs</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="blocked">{tab === 'blocked' && <Blocked />}</Tabs.Panel>
        <Tabs.Panel value="logs">{tab === 'logs' && <Logs />}</Tabs.Panel>
      </Tabs>
    </EdgePage>
  );
}

function Blocked() {
  const [live, setLive] = useState(true);
  const [proto, setProto] = useState<string | null>(null);
  const [iface, setIface] = useState<string | null>(null);
  const [source, setSource] = useState('');
  const list = useBlocked(live);
  const entries = list.data;
  const protos = useMemo(() => [...new Set((entries ?? []).map((e) => e.protocol).filter(Boolean))], [entries]);
  const ifaces = useMemo(() => [...new Set((entries ?? []).map((e) => e.interface).filter(Boolean))], [entries]);
  const rows = entries?.filter((e) => (!proto || e.protocol === proto) && (!iface || e.interface === iface) && (!source || e.src_addr.includes(source.trim())));
  const columns: Column<BlockedEntry>[] = [
    { key: 'time', header: 'Time', render: (e) => formatTime(e.timestamp) },
    { key: 'action', header: 'Action', render: (e) => <Badge color="red" variant="light">{e.action}</Badge> },
    { key: 'dir', header: 'Direction', render: (e) => e.direction },
    { key: 'iface', header: 'Interface', render: (e) => <code>{e.interface}</code> },
    { key: 'proto', header: 'Proto', render: (e) => e.protocol },
    { key: 'src', header: 'Source', render: (e) => <code>{e.src_addr}{e.src_port ? `:${e.src_port}` : ''}</code> },
    { key: 'dst', header: 'Destination', render: (e) => <code>{e.dst_addr}{e.dst_port ? `:${e.dst_port}` : ''}</code> },
  ];
  return (
    <DataTable
      label="Blocked packets"
      columns={columns}
      rows={rows}
      rowKey={(e) => `${e.timestamp}-${e.src_addr}:${e.src_port}-${e.dst_addr}:${e.dst_port}-${e.protocol}`}
      loading={list.isPending}
      error={list.error}
      retry={() => list.refetch()}
      empty="Nothing blocked recently (block rules log what they drop)."
      filters={
        <>
          <Select label="Protocol" placeholder="All" clearable data={protos} value={proto} onChange={setProto} w={140} />
          <Select label="Interface" placeholder="All" clearable data={ifaces} value={iface} onChange={setIface} w={160} />
          <TextInput label="Source" placeholder="address" value={source} onChange={(e) => setSource(e.currentTarget.value)} w={200} />
          <Switch label="Live" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} mb={6} />
        </>
      }
    />
  );
}

function Logs() {
  const [page, setPage] = useState(0);
  const [action, setAction] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const list = useLogs(PAGE, page * PAGE);
  const data = list.data?.data;
  const actions = useMemo(() => [...new Set((data ?? []).map((e) => e.action))], [data]);
  const rows = data?.filter((e) => (!action || e.action === action) && (!search || `${e.action} ${e.details}`.toLowerCase().includes(search.toLowerCase())));
  const columns: Column<LogEntry>[] = [
    { key: 'time', header: 'Time', render: (e) => formatTime(e.timestamp) },
    { key: 'action', header: 'Action', render: (e) => <Badge variant="light">{e.action}</Badge> },
    { key: 'rule', header: 'Rule', render: (e) => (e.rule_id ? <code>{e.rule_id.slice(0, 8)}</code> : '—') },
    { key: 'details', header: 'Details', render: (e) => <Text size="sm" style={{ wordBreak: 'break-word' }}>{e.details}</Text> },
    { key: 'source', header: 'Source', render: (e) => e.source },
  ];
  return (
    <>
      <DataTable
        label="Log entries"
        columns={columns}
        rows={rows}
        rowKey={(e) => e.id}
        loading={list.isPending}
        error={list.error}
        retry={() => list.refetch()}
        empty={search || action ? 'No entry on this page matches.' : 'No log entry yet.'}
        filters={
          <>
            <Select label="Action" placeholder="All" clearable data={actions} value={action} onChange={setAction} w={200} />
            <TextInput label="Search" placeholder="text in the details" value={search} onChange={(e) => setSearch(e.currentTarget.value)} w={240} />
          </>
        }
      />
      <Group justify="flex-end" gap="xs" mt="sm">
        <Button size="xs" variant="default" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>Newer</Button>
        <Button size="xs" variant="default" disabled={(data?.length ?? 0) < PAGE} onClick={() => setPage((p) => p + 1)}>Older</Button>
      </Group>
    </>
  );
}
