import { Badge, Button, Group, Switch, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { useConnections } from '../api';
import { EdgePage } from '../components/EdgePage';
import { formatBytes, type Connection } from '../model';

const PAGE = 100;
const age = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`);

/** The kernel's connection tracking table, live (every 3 s, pausable), a page at a time. */
export function ConnectionsPage() {
  const [page, setPage] = useState(0);
  const [live, setLive] = useState(true);
  const [filter, setFilter] = useState('');
  const list = useConnections(PAGE, page * PAGE, live);
  const rows = list.data?.data.filter((c) => !filter || `${c.protocol} ${c.src_addr}:${c.src_port} ${c.dst_addr}:${c.dst_port} ${c.state}`.includes(filter.trim()));
  const columns: Column<Connection>[] = [
    { key: 'proto', header: 'Proto', render: (c) => <Badge variant="light">{c.protocol}</Badge> },
    { key: 'src', header: 'Source', render: (c) => <code>{c.src_addr}:{c.src_port}</code> },
    { key: 'dst', header: 'Destination', render: (c) => <code>{c.dst_addr}:{c.dst_port}</code> },
    { key: 'state', header: 'State', render: (c) => c.state },
    { key: 'age', header: 'Age', render: (c) => age(c.age_secs) },
    { key: 'pkts', header: 'Packets in / out', render: (c) => `${c.packets_in} / ${c.packets_out}` },
    { key: 'bytes', header: 'Bytes in / out', render: (c) => `${formatBytes(c.bytes_in)} / ${formatBytes(c.bytes_out)}` },
  ];
  const total = list.data?.total;
  const full = total !== undefined ? (page + 1) * PAGE < total : (list.data?.data.length ?? 0) === PAGE;
  return (
    <EdgePage title="Connections" description="Flows the box tracks now (conntrack), newest state every 3 seconds.">
      <DataTable
        label="Connections"
        columns={columns}
        rows={rows}
        rowKey={(c) => `${c.id}-${c.protocol}-${c.src_addr}:${c.src_port}-${c.dst_addr}:${c.dst_port}`}
        loading={list.isPending}
        error={list.error}
        retry={() => list.refetch()}
        empty={filter ? 'No connection on this page matches the filter.' : 'No tracked connection right now.'}
        filters={
          <>
            <TextInput label="Filter" placeholder="address, port, state" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} w={260} />
            <Switch label="Live" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} mb={6} />
          </>
        }
      />
      <Group justify="space-between" mt="sm">
        <Text size="sm" c="dimmed">{list.data ? `Connections ${list.data.data.length ? page * PAGE + 1 : 0}–${page * PAGE + list.data.data.length}${total !== undefined ? ` of ${total}` : ''}` : ''}</Text>
        <Group gap="xs">
          <Button size="xs" variant="default" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>Previous page</Button>
          <Button size="xs" variant="default" disabled={!full} onClick={() => setPage((p) => p + 1)}>Next page</Button>
        </Group>
      </Group>
    </EdgePage>
  );
}
