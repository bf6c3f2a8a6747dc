import { ActionIcon, Button, Group, NumberInput, Paper, Select, SimpleGrid, Stack, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { gatewayCalls, poolCalls, useAccessAction, useGatewayHealth, usePools } from '../api';
import { OPTIONS, StatusBadge } from '../components/format';
import type { Channel, Gateway, GatewayHealth, Pool, PoolSelection } from '../model';

/** Gateway pools with their health, and the gateways that serve them (heartbeats refresh both). */
export function GatewaysPage() {
  const can = useCan();
  const writable = can('access_gateway:write');
  const pools = usePools();
  const health = useGatewayHealth();
  const [editing, setEditing] = useState<Pool | 'new' | null>(null);
  const poolName = (id: string) => pools.data?.find((p) => p.id === id)?.name ?? id.slice(0, 8);

  const gatewayColumns: Column<Gateway>[] = [
    { key: 'name', header: 'Gateway', render: (g) => g.name },
    { key: 'pool', header: 'Pool', render: (g) => poolName(g.pool_id) },
    { key: 'endpoint', header: 'Endpoint', render: (g) => (g.endpoint ? <code>{g.endpoint}</code> : '—') },
    { key: 'status', header: 'Status', render: (g) => <StatusBadge value={g.status} /> },
    { key: 'version', header: 'Version', render: (g) => g.version ?? '—' },
    { key: 'sessions', header: 'Sessions', render: (g) => g.active_sessions ?? 0 },
    { key: 'heartbeat', header: 'Last heartbeat', render: (g) => formatTime(g.last_heartbeat_at) },
  ];
  if (writable) gatewayColumns.push({ key: 'actions', header: 'Actions', render: (g) => <RemoveGateway gateway={g} /> });

  return (
    <>
      <PageHeader
        title="Gateways"
        description="Pools of WireGuard gateways devices connect through; a pool is healthy while enough of its gateways heartbeat."
        actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>Add pool</Button>}
      />
      <Stack gap="lg">
        <section aria-labelledby="pools-heading">
          <Title order={2} size="h4" id="pools-heading" mb="sm">Pools</Title>
          {pools.error ? (
            <PageError error={pools.error} retry={() => pools.refetch()} />
          ) : pools.isPending ? (
            <PageLoading label="Loading pools" />
          ) : pools.data.length === 0 ? (
            <Text c="dimmed">No pools yet. Add one, then enrol a gateway into it with a gateway token.</Text>
          ) : (
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
              {pools.data.map((p) => (
                <PoolCard key={p.id} pool={p} health={health.data?.pools.find((h) => h.pool_id === p.id)} writable={writable} onEdit={() => setEditing(p)} />
              ))}
            </SimpleGrid>
          )}
        </section>
        <section aria-labelledby="gateways-heading">
          <Title order={2} size="h4" id="gateways-heading" mb="sm">Gateways</Title>
          <DataTable
            label="Gateways"
            columns={gatewayColumns}
            rows={health.data?.gateways}
            rowKey={(g) => g.id}
            loading={health.isPending}
            error={health.error}
            retry={() => health.refetch()}
            empty="Generate a gateway token (Enrollment tokens) and run `rampart agent gateway enroll` with it."
          />
        </section>
      </Stack>
      {editing && <PoolForm pool={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
    </>
  );
}

function RemoveGateway({ gateway }: { gateway: Gateway }) {
  const remove = useAccessAction(gatewayCalls.remove, `Gateway ${gateway.name} removed.`);
  return (
    <ActionIcon variant="subtle" color="red" aria-label={`Remove gateway ${gateway.name}`} loading={remove.isPending} onClick={() => window.confirm(`Remove ${gateway.name}? Its credential stops working and its sessions drop.`) && remove.mutate(gateway.id)}>
      <IconTrash size={16} />
    </ActionIcon>
  );
}

function PoolCard({ pool, health, writable, onEdit }: { pool: Pool; health?: GatewayHealth['pools'][number]; writable: boolean; onEdit: () => void }) {
  const remove = useAccessAction(poolCalls.remove, `Pool ${pool.name} deleted.`);
  const healthy = health?.ok ?? false;
  return (
    <Paper withBorder p="md" component="article" aria-label={`Pool ${pool.name}`}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={4}>
          <Text fw={600}>{pool.name}</Text>
          <Text size="sm" c="dimmed">{`${pool.region} · ${pool.channel} channel · ${pool.selection.replace('_', ' ')}`}</Text>
        </Stack>
        <StatusBadge value={healthy ? 'healthy' : 'unhealthy'} />
      </Group>
      <Text size="sm" mt="xs" aria-label={`${health?.healthy ?? 0} of ${health?.total ?? 0} gateways healthy`}>
        {health?.healthy ?? 0} of {health?.total ?? 0} gateways healthy (needs {pool.min_healthy})
      </Text>
      <Text size="sm" c="dimmed" mt={4}>
        {pool.destinations?.length ? pool.destinations.join(', ') : 'no destinations'}
      </Text>
      {writable && (
        <Group gap={4} mt="xs" justify="flex-end">
          <ActionIcon variant="subtle" aria-label={`Edit pool ${pool.name}`} onClick={onEdit}><IconPencil size={16} /></ActionIcon>
          <ActionIcon variant="subtle" color="red" aria-label={`Delete pool ${pool.name}`} loading={remove.isPending} onClick={() => window.confirm(`Delete pool ${pool.name}?`) && remove.mutate(pool.id)}>
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      )}
    </Paper>
  );
}

function PoolForm({ pool, onClose }: { pool?: Pool; onClose: () => void }) {
  const [destinations, setDestinations] = useState<string[]>(pool?.destinations ?? []);
  const [selection, setSelection] = useState<string | null>(pool?.selection ?? 'latency');
  const [channel, setChannel] = useState<string | null>(pool?.channel ?? 'stable');
  const [minHealthy, setMinHealthy] = useState<number | string>(pool?.min_healthy ?? 1);
  const save = useAccessAction(poolCalls.save, (p) => `Pool ${p.name} saved.`, onClose);
  const submit = (f: FormData) =>
    save.mutate({
      ...(pool ? { id: pool.id } : {}),
      name: field(f, 'name') ?? '',
      region: field(f, 'region') ?? '',
      selection: (selection as PoolSelection | null) ?? 'latency',
      destinations,
      min_healthy: Number(minHealthy),
      channel: (channel as Channel | null) ?? 'stable',
    });
  return (
    <FormModal title={pool ? `Edit pool ${pool.name}` : 'Add a gateway pool'} opened onClose={onClose} onSubmit={submit} submitLabel="Save pool" busy={save.isPending}>
      <TextInput name="name" label="Name" required defaultValue={pool?.name} data-autofocus autoComplete="off" />
      <TextInput name="region" label="Region" required defaultValue={pool?.region ?? ''} autoComplete="off" description="Where its gateways are, e.g. eu-west." />
      <TagsInput label="Destinations" description="CIDRs or names the pool's gateways reach, e.g. 10.20.0.0/16. Enter after each." value={destinations} onChange={setDestinations} />
      <Select label="Gateway selection" data={['latency', 'round_robin', 'sticky']} value={selection} onChange={setSelection} allowDeselect={false} />
      <NumberInput label="Healthy gateways needed" min={0} value={minHealthy} onChange={setMinHealthy} description="The pool is healthy while this many of its gateways are online." />
      <Select label="Channel" description="The policy bundle channel its gateways enforce." data={[...OPTIONS.channel]} value={channel} onChange={setChannel} allowDeselect={false} />
    </FormModal>
  );
}
