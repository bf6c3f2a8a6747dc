import { LineChart } from '@mantine/charts';
import type { ReactNode } from 'react';
import { Accordion, Anchor, Badge, Button, Group, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { useCan } from '../../../app/auth/session';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { hostCalls, useFleetAction, useHost, useHostFailedRules, useHostFrameworks, useHostScans, useHostTrend, useMonitoringHistory, type HostDetail } from '../api';
import { hostLabel, NotYet, percent, StateBadge } from '../format';
import { Evidence } from './Evidence';
import { Panel } from './Panel';

/** One host: what it is, how it answers, how compliant it is and why, and its scans. */
export function HostDetailPage() {
  const { id = '' } = useParams();
  const detail = useHost(id);
  if (detail.error) return <PageError error={detail.error} retry={() => detail.refetch()} />;
  if (detail.isPending) return <PageLoading label="Loading the host" />;
  const d = detail.data!;
  return (
    <>
      <PageHeader title={hostLabel(d.host)} description={`${d.host.hostname} · ${d.host.ip_address}:${d.host.port} · ${d.host.environment}`} actions={<HostActions detail={d} />} />
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <SystemInfo detail={d} />
          <Frameworks id={id} />
        </SimpleGrid>
        <Trend id={id} />
        <FailedRules id={id} scanId={d.latest_scan_id} />
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <ScanHistory id={id} />
          <MonitoringHistory id={id} />
        </SimpleGrid>
      </Stack>
    </>
  );
}

function HostActions({ detail }: { detail: HostDetail }) {
  const can = useCan();
  const scan = useFleetAction(hostCalls.scanNow, (s) => `Scan ${s.scan_id.slice(0, 8)} queued.`);
  const discover = useFleetAction(hostCalls.discover, 'Discovery finished: the system information is up to date.');
  const maintenance = useFleetAction(hostCalls.maintenance, (h) => (h.maintenance_mode ? 'Maintenance on.' : 'Maintenance off.'));
  if (!can('host:write')) return null;
  const { host } = detail;
  return (
    <>
      <Button variant="default" loading={maintenance.isPending} onClick={() => maintenance.mutate({ id: host.id, enabled: !host.maintenance_mode })}>
        {host.maintenance_mode ? 'End maintenance' : 'Start maintenance'}
      </Button>
      <Button variant="default" loading={discover.isPending} onClick={() => discover.mutate(host.id)}>
        Discover now
      </Button>
      <Button loading={scan.isPending} disabled={!!detail.scan_state} onClick={() => scan.mutate(host.id)}>
        {detail.scan_state ? `Scan ${detail.scan_state}` : 'Scan now'}
      </Button>
    </>
  );
}

function SystemInfo({ detail }: { detail: HostDetail }) {
  const { host, liveness } = detail;
  const rows: [string, ReactNode][] = [
    ['Operating system', [host.os_family, host.os_version].filter(Boolean).join(' ') || 'not discovered yet'],
    ['Architecture', host.architecture ?? '—'],
    ['Platform', host.platform_identifier ?? '—'],
    ...livenessRows(liveness),
    ['Maintenance', host.maintenance_mode ? 'on' : 'off'],
    ['Tags', host.tags.length ? <Group key="t" gap={4}>{host.tags.map((t) => <Badge key={t} variant="outline" size="sm">{t}</Badge>)}</Group> : '—'],
  ];
  return (
    <Panel title="System" query={{ error: null, isPending: false, refetch: () => undefined }}>
      {() => (
        <Table aria-label="System information">
          <Table.Tbody>
            {rows.map(([label, value]) => (
              <Table.Tr key={label}>
                <Table.Th scope="row" w={160}>{label}</Table.Th>
                <Table.Td>{value}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Panel>
  );
}

/** A host's liveness as rows of the system table; a host not probed yet has none, which is said once. */
function livenessRows(liveness: HostDetail['liveness']): [string, ReactNode][] {
  if (!liveness) return [['Liveness', <NotYet key="l">not probed yet</NotYet>]];
  return [
    ['Liveness', <StateBadge key="l" value={liveness.monitoring_state} />],
    ['Reachability', <StateBadge key="r" value={liveness.reachability_status} />],
    ['Privilege', liveness.privilege ?? '—'],
    ['Last probe', formatTime(liveness.last_probe_at)],
    ['Last error', liveness.last_error ?? '—'],
  ];
}

function Frameworks({ id }: { id: string }) {
  const fw = useHostFrameworks(id);
  const list = fw.data?.frameworks ?? [];
  return (
    <Panel title="Compliance by framework" query={fw} empty={fw.data?.overall.rule_count === 0 && 'Not scanned yet'}>
      {() => (
        <Table aria-label="Compliance by framework">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Framework</Table.Th>
              <Table.Th scope="col">Score</Table.Th>
              <Table.Th scope="col">Passing</Table.Th>
              <Table.Th scope="col">Failing</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[fw.data!.overall, ...list].map((f) => (
              <Table.Tr key={f.framework_id}>
                <Table.Td>{f.framework_id}</Table.Td>
                <Table.Td>{percent(f.score_pct)}</Table.Td>
                <Table.Td>{f.passing}</Table.Td>
                <Table.Td>{f.failing}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Panel>
  );
}

function Trend({ id }: { id: string }) {
  const trend = useHostTrend(id);
  const days = trend.data?.days ?? [];
  return (
    <Panel title="Compliance history" query={trend} empty={days.length === 0 && 'No scans in the last 30 days'}>
      {() => <LineChart h={180} data={days} dataKey="date" series={[{ name: 'score_pct', label: 'Score %', color: 'teal.6' }]} yAxisProps={{ domain: [0, 100] }} role="img" aria-label="This host's compliance score per day" />}
    </Panel>
  );
}

function FailedRules({ id, scanId }: { id: string; scanId: string | null }) {
  const failed = useHostFailedRules(id);
  const rules = failed.data?.rules ?? [];
  return (
    <Panel title="Failed rules" query={failed} empty={rules.length === 0 && 'No rule fails on this host'}>
      {() => (
        <Accordion variant="separated" chevronPosition="left">
          {rules.map((r) => (
            <Accordion.Item key={r.rule_id} value={r.rule_id}>
              <Accordion.Control>
                <Group gap="xs" wrap="nowrap">
                  <StateBadge value={r.severity} />
                  <Text size="sm" fw={500}>{r.title}</Text>
                  <Text size="xs" c="dimmed">{r.rule_id}</Text>
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                <Text size="xs" c="dimmed" mb="xs">Controls: {r.control_ids.join(', ') || '—'}</Text>
                <Evidence scanId={scanId} ruleId={r.rule_id} />
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      )}
    </Panel>
  );
}

function ScanHistory({ id }: { id: string }) {
  const scans = useHostScans(id);
  const list = scans.data?.scans ?? [];
  return (
    <Panel title="Scan history" query={scans} empty={list.length === 0 && 'No scan yet'}>
      {() => (
        <Table aria-label="Scans of this host">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Queued</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Score</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.map((s) => (
              <Table.Tr key={s.scan_id}>
                <Table.Td><Anchor component={Link} to={`/fleet/scans/${s.scan_id}`}>{formatTime(s.queued_at)}</Anchor></Table.Td>
                <Table.Td><StateBadge value={s.status} /></Table.Td>
                <Table.Td>{percent(s.score)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Panel>
  );
}

function MonitoringHistory({ id }: { id: string }) {
  const history = useMonitoringHistory(id);
  const entries = history.data?.entries ?? [];
  const layer = (ok: boolean | null) => (ok == null ? '—' : ok ? 'ok' : 'failed');
  return (
    <Panel title="Monitoring history" query={history} empty={entries.length === 0 && 'Not probed yet'}>
      {() => (
        <Table aria-label="Liveness probes of this host">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Checked</Table.Th>
              <Table.Th scope="col">State</Table.Th>
              <Table.Th scope="col">Ping / SSH / privilege</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((p) => (
              <Table.Tr key={p.id}>
                <Table.Td>{formatTime(p.check_time)}</Table.Td>
                <Table.Td><StateBadge value={p.monitoring_state} /></Table.Td>
                <Table.Td>{`${layer(p.ping_ok)} / ${layer(p.ssh_ok)} / ${layer(p.privilege_ok)}`}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Panel>
  );
}
