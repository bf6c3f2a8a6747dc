import { Alert, Badge, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { IconPlayerPause, IconPlayerPlay } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { usePerformanceMode } from '../api';
import { protoName, unixTime } from '../format';
import { useWiretap, type WiretapEvent, type WiretapFilters } from '../wiretap';

const FIELDS: { key: keyof WiretapFilters; label: string; placeholder: string }[] = [
  { key: 'src_cidr', label: 'Source CIDR', placeholder: '10.0.0.0/24' },
  { key: 'dst_cidr', label: 'Destination CIDR', placeholder: '203.0.113.0/24' },
  { key: 'hostname', label: 'Hostname', placeholder: 'api.example.com' },
  { key: 'proto', label: 'Protocol', placeholder: 'tcp' },
  { key: 'dst_port', label: 'Destination port', placeholder: '443 or 8000-8080' },
];

/** Flows through the gateway as conntrack reports them, live over the wiretap's event stream. */
export function WiretapPage() {
  const performance = usePerformanceMode();
  return (
    <>
      <PageHeader title="Wiretap" description="Live flows through the gateway: one event per flow per poll while it moves, and one when it ends." />
      {performance.error ? (
        <PageError error={performance.error} retry={() => performance.refetch()} />
      ) : !performance.data ? (
        <PageLoading label="Loading the wiretap" />
      ) : !performance.data.enabled ? (
        <Alert color="yellow" title="Performance mode is off">The wiretap streams only while performance mode is on (Egress settings).</Alert>
      ) : (
        <LiveFlows />
      )}
    </>
  );
}

function LiveFlows() {
  const [filters, setFilters] = useState<WiretapFilters>({});
  const [paused, setPaused] = useState(false);
  const { events, state, missed, clear } = useWiretap(filters, paused);
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setFilters(Object.fromEntries(FIELDS.map((f) => [f.key, String(form.get(f.key) ?? '')])));
  };
  const columns: Column<WiretapEvent>[] = [
    { key: 'type', header: 'Event', render: (e) => <Badge color={e.type === 'flow' ? 'blue' : 'gray'} variant="light">{e.type === 'flow' ? 'flow' : 'ended'}</Badge> },
    { key: 'time', header: 'Seen', render: (e) => unixTime(e.flow.last_seen) },
    { key: 'src', header: 'Source', render: (e) => `${e.flow.src_ip}${e.flow.src_port ? `:${e.flow.src_port}` : ''}` },
    { key: 'dst', header: 'Destination', render: (e) => `${e.flow.dst_ip}${e.flow.dst_port ? `:${e.flow.dst_port}` : ''}` },
    { key: 'host', header: 'Hostname', render: (e) => e.flow.hostname ?? '—' },
    { key: 'proto', header: 'Protocol', render: (e) => protoName(e.flow.proto) },
    { key: 'packets', header: 'Packets out / in', render: (e) => `${e.flow.packets_out} / ${e.flow.packets_in}` },
    { key: 'node', header: 'Node', render: (e) => e.flow.node_id },
  ];
  return (
    <Stack>
      <form onSubmit={apply} aria-label="Wiretap filters">
        <Group align="flex-end" wrap="wrap">
          {FIELDS.map((f) => <TextInput key={f.key} name={f.key} label={f.label} placeholder={f.placeholder} defaultValue={filters[f.key]} w={180} />)}
          <Button type="submit" variant="light">Apply filters</Button>
        </Group>
      </form>
      <Group justify="space-between">
        <Group gap="xs" role="status" aria-live="polite">
          <Badge color={state === 'open' ? 'teal' : 'yellow'} variant="dot">{state === 'open' ? 'Live' : state === 'connecting' ? 'Connecting' : 'Reconnecting'}</Badge>
          {paused && <Text size="sm" c="dimmed">Paused; {missed} event{missed === 1 ? '' : 's'} not shown</Text>}
        </Group>
        <Group gap="xs">
          <Button variant="default" onClick={clear}>Clear</Button>
          <Button leftSection={paused ? <IconPlayerPlay size={16} /> : <IconPlayerPause size={16} />} onClick={() => setPaused((p) => !p)}>
            {paused ? 'Resume' : 'Pause'}
          </Button>
        </Group>
      </Group>
      <DataTable label="Flow events" columns={columns} rows={events} rowKey={(e) => String(e.key)} empty="Waiting for traffic that matches the filters. Events appear here as they happen." />
    </Stack>
  );
}
