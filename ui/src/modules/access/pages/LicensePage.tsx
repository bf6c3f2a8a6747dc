import { Alert, Button, Card, Group, Progress, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { DEFAULT_TENANT, tenantCalls, useAccessAction, useEntitlementStatus, useLicense, useTenantAlerts, useTenants, useUsage } from '../api';
import { formatBytes, StatusBadge } from '../components/format';

type Tenant = NonNullable<ReturnType<typeof useTenants>['data']>[number];

const METRIC_COLORS: Record<string, string> = { ok: 'teal', approaching: 'yellow', exceeded: 'red' };

/** The last six months, newest first, as YYYY-MM. */
function recentPeriods(now = new Date()): string[] {
  return Array.from({ length: 6 }, (_, i) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)).toISOString().slice(0, 7));
}

/** The licence in force, each tenant's entitlement against its usage, open alerts, metered usage, and the tenants. */
export function LicensePage() {
  const can = useCan();
  const license = useLicense();
  const tenants = useTenants();
  const [tenantId, setTenantId] = useState<string | null>(null);
  const current = tenantId ?? tenants.data?.[0]?.id;
  const status = useEntitlementStatus(current);
  const alerts = useTenantAlerts(current);
  const periods = recentPeriods();
  const [period, setPeriod] = useState(periods[0]);
  const usage = useUsage(current, period);
  const [name, setName] = useState('');
  const reload = useAccessAction(() => tenantCalls.reload(), (s) => `Licence reloaded: ${s.state}`);
  const lifecycle = useAccessAction(tenantCalls.lifecycle, (_r, a) => (a.action === 'create' ? `Tenant ${a.name} created` : `Tenant ${a.action === 'suspend' ? 'suspended' : 'reactivated'}`), () => setName(''));

  if (license.isPending || tenants.isPending) return <PageLoading />;
  if (license.error) return <PageError error={license.error} retry={() => license.refetch()} />;
  const lic = license.data!;
  const provider = tenants.data?.some((t) => t.id === DEFAULT_TENANT) ?? false;

  const tenantColumns: Column<Tenant>[] = [
    { key: 'name', header: 'Name', render: (t) => <Text size="sm" fw={500}>{t.name}</Text> },
    { key: 'slug', header: 'Slug', render: (t) => <code>{t.slug}</code> },
    { key: 'status', header: 'Status', render: (t) => <StatusBadge value={t.status} /> },
    { key: 'plan', header: 'Plan', render: (t) => t.plan ?? '—' },
    { key: 'admins', header: 'Administrators', render: (t) => String(t.admin_count) },
    {
      key: 'actions', header: 'Actions',
      render: (t) =>
        can('access_tenant:write') && provider && t.id !== DEFAULT_TENANT && t.status !== 'deleted' ? (
          <Button size="xs" variant="default" loading={lifecycle.isPending}
            onClick={() => lifecycle.mutate({ action: t.status === 'active' ? 'suspend' : 'reactivate', tenant_id: t.id })}
            aria-label={`${t.status === 'active' ? 'Suspend' : 'Reactivate'} ${t.name}`}>
            {t.status === 'active' ? 'Suspend' : 'Reactivate'}
          </Button>
        ) : null,
    },
  ];

  return (
    <>
      <PageHeader
        title="Licence & entitlements"
        description="The signed licence in force, what each tenant may create against what it uses, and metered usage."
        actions={can('access_license:manage') && provider ? <Button variant="light" onClick={() => reload.mutate(undefined)} loading={reload.isPending}>Reload licence</Button> : undefined}
      />
      <Stack gap="md">
        <Card withBorder component="section" aria-label="Licence">
          <Group justify="space-between" mb="xs">
            <Title order={2} size="h4">Licence</Title>
            <StatusBadge value={lic.state} />
          </Group>
          {lic.error ? <Alert color="red" mb="xs" title="The licence file is not in force">{lic.error}</Alert> : null}
          {lic.state === 'missing' ? (
            <Text size="sm">No licence file at <code>{lic.path}</code>: nothing is limited by a licence.</Text>
          ) : (
            <Table withRowBorders={false} aria-label="Licence details">
              <Table.Tbody>
                <Table.Tr><Table.Th scope="row">Licensee</Table.Th><Table.Td>{lic.licensee ?? '—'}</Table.Td></Table.Tr>
                <Table.Tr><Table.Th scope="row">Plan</Table.Th><Table.Td>{lic.plan ?? '—'}</Table.Td></Table.Tr>
                <Table.Tr><Table.Th scope="row">Expires</Table.Th><Table.Td>{formatTime(lic.expires_at)}</Table.Td></Table.Tr>
                <Table.Tr><Table.Th scope="row">Grace until</Table.Th><Table.Td>{formatTime(lic.grace_until)}</Table.Td></Table.Tr>
                <Table.Tr><Table.Th scope="row">Features</Table.Th><Table.Td>{lic.features.join(', ') || '—'}</Table.Td></Table.Tr>
              </Table.Tbody>
            </Table>
          )}
        </Card>

        <Card withBorder component="section" aria-label="Entitlement">
          <Group justify="space-between" mb="xs" align="end">
            <Title order={2} size="h4">Entitlement</Title>
            <Select label="Tenant" data={(tenants.data ?? []).map((t) => ({ value: t.id, label: t.name }))} value={current ?? null} onChange={setTenantId} allowDeselect={false} w={240} />
          </Group>
          {status.isPending ? <PageLoading label="Loading the entitlement" /> : status.error ? <PageError error={status.error} retry={() => status.refetch()} /> : (
            <>
              <Text size="sm" mb="sm">State: <StatusBadge value={status.data!.state} /> · plan {status.data!.plan}</Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                {status.data!.metrics.map((m) => (
                  <div key={m.metric}>
                    <Group justify="space-between"><Text size="sm" fw={500}>{m.metric}</Text><Text size="sm">{m.value} of {m.limit ?? 'no limit'}</Text></Group>
                    <Progress value={m.limit === null ? 0 : Math.min(100, m.percent ?? 0)} color={METRIC_COLORS[m.state]} aria-label={`${m.metric}: ${m.value} of ${m.limit ?? 'no limit'} (${m.state})`} />
                  </div>
                ))}
              </SimpleGrid>
              {(alerts.data ?? []).length ? (
                <Stack gap={4} mt="sm" aria-label="Alerts">
                  {alerts.data!.map((a) => (
                    <Alert key={`${a.metric}-${a.kind}`} color="gray" title={<Group gap="xs"><span>{a.metric}</span><StatusBadge value={a.kind} /></Group>}>{a.detail} · since {formatTime(a.since)}</Alert>
                  ))}
                </Stack>
              ) : <Text size="sm" c="dimmed" mt="sm">No open alert.</Text>}
            </>
          )}
        </Card>

        <Card withBorder component="section" aria-label="Usage">
          <Group justify="space-between" mb="xs" align="end">
            <Title order={2} size="h4">Usage</Title>
            <Select label="Month" data={periods} value={period} onChange={(v) => v && setPeriod(v)} allowDeselect={false} w={160} />
          </Group>
          {usage.isPending ? <PageLoading label="Loading usage" /> : usage.error ? <PageError error={usage.error} retry={() => usage.refetch()} /> : (
            <SimpleGrid cols={{ base: 2, sm: 4 }}>
              {([
                ['Sessions', String(usage.data!.sessions)], ['Active users', String(usage.data!.active_users)], ['Active devices', String(usage.data!.active_devices)],
                ['Devices enrolled', String(usage.data!.devices_enrolled)], ['Received', formatBytes(usage.data!.bytes_rx)], ['Sent', formatBytes(usage.data!.bytes_tx)],
                ['Mean RTT', usage.data!.mean_rtt_ms === null ? '—' : `${usage.data!.mean_rtt_ms} ms`], ['Gateways', String(usage.data!.gateways)],
              ] as const).map(([label, value]) => (
                <div key={label}><Text size="xs" c="dimmed">{label}</Text><Text fw={600} aria-label={`${label}: ${value}`}>{value}</Text></div>
              ))}
            </SimpleGrid>
          )}
        </Card>

        <section aria-label="Tenants">
          <Title order={2} size="h4" mb="xs">Tenants</Title>
          {can('access_tenant:write') && provider ? (
            <Group align="end" mb="sm" component="form" onSubmit={(e) => { e.preventDefault(); if (name.trim()) lifecycle.mutate({ action: 'create', name: name.trim() }); }}>
              <TextInput label="New tenant" placeholder="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
              <Button type="submit" disabled={!name.trim()} loading={lifecycle.isPending}>Create tenant</Button>
            </Group>
          ) : null}
          <DataTable label="Tenants" columns={tenantColumns} rows={tenants.data} rowKey={(t) => t.id} loading={tenants.isPending} error={tenants.error} retry={() => tenants.refetch()} empty="No tenant." />
        </section>
      </Stack>
    </>
  );
}
