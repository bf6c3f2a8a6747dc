import { ActionIcon, Button, Group, NumberInput, Paper, Select, Stack, Switch, TextInput, Title } from '@mantine/core';
import { IconPencil, IconPlus, IconRefresh, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { calls, useEdgeAction, useInterfaces, useRoutes, useSystemRoutes } from '../api';
import { EdgePage } from '../components/EdgePage';
import type { StaticRoute, SystemRoute } from '../model';

/** Static routes (applied at once) and the kernel's routing table as it is. */
export function RoutesPage() {
  const can = useCan();
  const writable = can('interfaces:write');
  const list = useRoutes();
  const system = useSystemRoutes();
  const [editing, setEditing] = useState<StaticRoute | 'new' | null>(null);
  const toggle = useEdgeAction((r: StaticRoute) => calls.saveRoute({ routeId: r.id, body: { destination: r.destination, gateway: r.gateway, interface: r.interface, metric: r.metric, description: r.description, enabled: !r.enabled } }));
  const remove = useEdgeAction((r: StaticRoute) => calls.deleteRoute(r.id), 'Route deleted.');
  const columns: Column<StaticRoute>[] = [
    { key: 'dst', header: 'Destination', render: (r) => <code>{r.destination}</code> },
    { key: 'gw', header: 'Gateway', render: (r) => <code>{r.gateway}</code> },
    { key: 'iface', header: 'Interface', render: (r) => r.interface ?? 'auto' },
    { key: 'metric', header: 'Metric', render: (r) => r.metric },
    { key: 'enabled', header: 'Enabled', render: (r) => <Switch checked={r.enabled} disabled={!writable} onChange={() => toggle.mutate(r)} aria-label={`Route to ${r.destination} enabled`} /> },
    { key: 'description', header: 'Description', render: (r) => r.description || '—' },
  ];
  if (writable) {
    columns.push({
      key: 'actions', header: 'Actions', render: (r) => (
        <Group gap={4} wrap="nowrap">
          <ActionIcon variant="subtle" aria-label={`Edit route to ${r.destination}`} onClick={() => setEditing(r)}><IconPencil size={16} /></ActionIcon>
          <ActionIcon variant="subtle" color="red" aria-label={`Delete route to ${r.destination}`} onClick={() => window.confirm(`Delete the route to ${r.destination}?`) && remove.mutate(r)}><IconTrash size={16} /></ActionIcon>
        </Group>
      ),
    });
  }
  const systemColumns: Column<SystemRoute>[] = [
    { key: 'dst', header: 'Destination', render: (r) => <code>{r.destination}</code> },
    { key: 'gw', header: 'Gateway', render: (r) => <code>{r.gateway || '—'}</code> },
    { key: 'flags', header: 'Flags', render: (r) => r.flags || '—' },
    { key: 'iface', header: 'Interface', render: (r) => <code>{r.interface}</code> },
  ];
  return (
    <EdgePage title="Routes" description="Static routes take effect when saved (with the data plane on); the kernel's table shows what the box routes by now." actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>Add route</Button>}>
      <Stack>
        <DataTable label="Static routes" columns={columns} rows={list.data} rowKey={(r) => r.id} loading={list.isPending} error={list.error} retry={() => list.refetch()} empty="Route a network through a gateway other than the default." />
        <Paper withBorder p="md" component="section" aria-labelledby="kernel-routes">
          <Group justify="space-between" mb="sm">
            <Title order={2} size="h4" id="kernel-routes">Kernel routing table</Title>
            <Button size="xs" variant="default" leftSection={<IconRefresh size={14} />} onClick={() => system.refetch()} loading={system.isFetching}>Refresh</Button>
          </Group>
          <DataTable label="Kernel routes" columns={systemColumns} rows={system.data} rowKey={(r) => `${r.destination} ${r.gateway} ${r.interface}`} loading={system.isPending} error={system.error} retry={() => system.refetch()} />
        </Paper>
      </Stack>
      {editing && <RouteForm route={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </EdgePage>
  );
}

function RouteForm({ route, onClose }: { route: StaticRoute | null; onClose: () => void }) {
  const interfaces = useInterfaces();
  const [iface, setIface] = useState<string | null>(route?.interface ?? null);
  const [metric, setMetric] = useState<number | string>(route?.metric ?? 100);
  const [enabled, setEnabled] = useState(route?.enabled ?? true);
  const save = useEdgeAction(calls.saveRoute, route ? 'Route saved.' : 'Route added.');
  return (
    <FormModal
      title={route ? `Edit route to ${route.destination}` : 'Add route'}
      opened
      onClose={onClose}
      busy={save.isPending}
      submitLabel={route ? 'Save route' : 'Add route'}
      onSubmit={(form) => save.mutate({ routeId: route?.id, body: { destination: field(form, 'destination') ?? '', gateway: field(form, 'gateway') ?? '', interface: iface, metric: Number(metric), enabled, description: field(form, 'description') ?? null } }, { onSuccess: onClose })}
    >
      <TextInput name="destination" label="Destination" description="A CIDR, an address or default" required defaultValue={route?.destination} />
      <TextInput name="gateway" label="Gateway" required defaultValue={route?.gateway} />
      <Select label="Interface" placeholder="Auto" clearable data={(interfaces.data ?? []).map((i) => i.name)} value={iface} onChange={setIface} />
      <NumberInput label="Metric" min={0} value={metric} onChange={setMetric} />
      <TextInput name="description" label="Description" defaultValue={route?.description ?? ''} />
      <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormModal>
  );
}
