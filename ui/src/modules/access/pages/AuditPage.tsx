import { Alert, Anchor, Button, Card, Checkbox, Group, NumberInput, PasswordInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { siemCalls, useAccessAction, useSiemConnector, useSiemDeliveries, type SiemInput } from '../api';
import { StatusBadge } from '../components/format';

type Delivery = NonNullable<ReturnType<typeof useSiemDeliveries>['data']>['deliveries'][number];
type TestResult = Awaited<ReturnType<typeof siemCalls.test>>;

/** Audit exports (CSV, JSON), the SIEM connector (syslog or a signed webhook) with a test event, and the delivery log. */
export function AuditPage() {
  const can = useCan();
  const connector = useSiemConnector();
  const deliveries = useSiemDeliveries();
  const [type, setType] = useState<'syslog' | 'webhook'>('webhook');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [host, setHost] = useState('');
  const [port, setPort] = useState<number | string>(514);
  const [transport, setTransport] = useState<'tcp' | 'tls' | 'udp'>('tcp');
  const [enabled, setEnabled] = useState(true);
  const [actions, setActions] = useState('');
  const [result, setResult] = useState<TestResult | null>(null);
  const c = connector.data;
  useEffect(() => {
    if (!c) return;
    if (c.type) setType(c.type);
    setUrl(c.webhook?.url ?? '');
    setHost(c.syslog?.host ?? '');
    setPort(c.syslog?.port ?? 514);
    setTransport(c.syslog?.transport ?? 'tcp');
    setEnabled(c.configured ? c.enabled : true);
    setActions(c.filters.actions.join(', '));
  }, [c]);
  const save = useAccessAction((body: SiemInput) => siemCalls.save(body), 'SIEM connector saved', () => setSecret(''));
  const test = useAccessAction(() => siemCalls.test(), (r) => (r.delivered ? 'Test event delivered' : 'Test event not delivered'), (r) => setResult(r));

  const submit = () => {
    const filters = { actions: actions.split(',').map((a) => a.trim()).filter(Boolean) };
    save.mutate(type === 'webhook'
      ? { type, enabled, filters, webhook: { url: url.trim(), ...(secret ? { secret } : {}) } }
      : { type, enabled, filters, syslog: { host: host.trim(), port: Number(port), transport } });
  };
  const columns: Column<Delivery>[] = [
    { key: 'at', header: 'When', render: (d) => formatTime(d.created_at) },
    { key: 'kind', header: 'Kind', render: (d) => d.kind },
    { key: 'status', header: 'Status', render: (d) => <StatusBadge value={d.status} /> },
    { key: 'events', header: 'Events', render: (d) => String(d.events) },
    { key: 'attempt', header: 'Attempt', render: (d) => String(d.attempt) },
    { key: 'http', header: 'HTTP', render: (d) => (d.http_status === null ? '—' : String(d.http_status)) },
    { key: 'error', header: 'Error', render: (d) => d.error ?? '—' },
    { key: 'ms', header: 'Duration', render: (d) => `${d.duration_ms} ms` },
  ];
  const writable = can('access_siem:write');

  return (
    <>
      <PageHeader title="Audit & SIEM" description="Export the audit trail, forward it to a SIEM, and see every delivery." />
      <Stack gap="md">
        <Card withBorder component="section" aria-label="Export">
          <Title order={2} size="h4" mb="xs">Export</Title>
          {can('access_audit:export') ? (
            <Group>
              <Anchor href="/v1/admin/audit/export?format=csv" download="audit.csv">Download CSV</Anchor>
              <Anchor href="/v1/admin/audit/export?format=json" download="audit.json">Download JSON</Anchor>
            </Group>
          ) : <Text size="sm" c="dimmed">Exporting needs the access_audit:export permission.</Text>}
        </Card>

        <Card withBorder component="section" aria-label="SIEM connector">
          <Group justify="space-between" mb="xs">
            <Title order={2} size="h4">SIEM connector</Title>
            {c?.configured ? <StatusBadge value={c.enabled ? 'active' : 'suspended'} /> : null}
          </Group>
          {connector.isPending ? <PageLoading label="Loading the connector" /> : connector.error ? <PageError error={connector.error} retry={() => connector.refetch()} /> : (
            <Stack gap="sm">
              {!c!.configured ? <Text size="sm" c="dimmed">No connector configured: nothing is forwarded.</Text> : (
                <Text size="sm">Forwarded through {c!.forwarded_through && !Number.isNaN(Date.parse(c!.forwarded_through)) ? formatTime(c!.forwarded_through) : c!.forwarded_through ?? '—'} · last success {formatTime(c!.last_success_at)}</Text>
              )}
              {c!.last_error ? <Alert color="red" title="Last error">{c!.last_error}</Alert> : null}
              <Stack gap="xs" component="form" aria-label="Connector settings" onSubmit={(e) => { e.preventDefault(); submit(); }}>
                <Select label="Type" data={[{ value: 'webhook', label: 'Webhook (HMAC-SHA256)' }, { value: 'syslog', label: 'Syslog' }]} value={type} onChange={(v) => v && setType(v as 'syslog' | 'webhook')} allowDeselect={false} disabled={!writable} w={260} />
                {type === 'webhook' ? (
                  <>
                    <TextInput label="URL" value={url} onChange={(e) => setUrl(e.currentTarget.value)} disabled={!writable} required />
                    <PasswordInput label="Secret" description={c!.webhook?.secret_set ? 'A secret is set; leave empty to keep it.' : 'Signs each delivery; never shown again.'} value={secret} onChange={(e) => setSecret(e.currentTarget.value)} disabled={!writable} autoComplete="new-password" />
                  </>
                ) : (
                  <Group align="end">
                    <TextInput label="Host" value={host} onChange={(e) => setHost(e.currentTarget.value)} disabled={!writable} required />
                    <NumberInput label="Port" value={port} onChange={setPort} min={1} max={65535} disabled={!writable} w={120} />
                    <Select label="Transport" data={['tcp', 'tls', 'udp']} value={transport} onChange={(v) => v && setTransport(v as 'tcp' | 'tls' | 'udp')} allowDeselect={false} disabled={!writable} w={120} />
                  </Group>
                )}
                <TextInput label="Action prefixes" description="Comma-separated; empty forwards every action." value={actions} onChange={(e) => setActions(e.currentTarget.value)} disabled={!writable} />
                <Checkbox label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} disabled={!writable} />
                {writable ? (
                  <Group>
                    <Button type="submit" loading={save.isPending}>Save connector</Button>
                    <Button variant="default" onClick={() => test.mutate(undefined)} loading={test.isPending} disabled={!c!.configured}>Send test event</Button>
                  </Group>
                ) : null}
              </Stack>
              {result ? (
                <Alert role="status" color={result.delivered ? 'teal' : 'red'} title={result.delivered ? 'Test event delivered' : 'Test event not delivered'}>
                  {result.http_status !== null ? `HTTP ${result.http_status} · ` : ''}{result.duration_ms} ms{result.error ? ` · ${result.error}` : ''}
                </Alert>
              ) : null}
            </Stack>
          )}
        </Card>

        <section aria-label="Delivery log">
          <Title order={2} size="h4" mb="xs">Delivery log</Title>
          <DataTable label="Deliveries" columns={columns} rows={deliveries.data?.deliveries} rowKey={(d) => d.id} loading={deliveries.isPending} error={deliveries.error} retry={() => deliveries.refetch()} empty="Nothing delivered yet." />
        </section>
      </Stack>
    </>
  );
}
