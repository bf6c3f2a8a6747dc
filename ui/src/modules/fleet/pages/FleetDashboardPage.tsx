import { BarChart, LineChart } from '@mantine/charts';
import { Anchor, Group, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { useHostNames, useConnectivity, useFleetScore, useFleetTrend, useLiveness, useRecentChanges, useTopFailingHosts, useTopFailingRules } from '../api';
import { percent, StateBadge } from '../format';
import { Panel } from './Panel';

/** The fleet at a glance: its score, who answers, what fails most and what changed lately. */
export function FleetDashboardPage() {
  return (
    <>
      <PageHeader title="Fleet overview" description="Compliance and liveness of every managed host." />
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          <Score />
          <Liveness />
          <Connectivity />
        </SimpleGrid>
        <Trend />
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <TopRules />
          <TopHosts />
        </SimpleGrid>
        <RecentChanges />
      </Stack>
    </>
  );
}

function Score() {
  const score = useFleetScore();
  return (
    <Panel title="Fleet score" query={score}>
      {() => (
        <Stack gap={2}>
          <Text fz={40} fw={700} data-testid="fleet-score">
            {score.data!.total_evaluations === 0 ? '—' : percent(score.data!.passing_fraction, true)}
          </Text>
          <Text size="sm" c="dimmed">
            of {score.data!.total_evaluations} rule evaluations pass
          </Text>
        </Stack>
      )}
    </Panel>
  );
}

/** A breakdown of counts as label/value rows. */
function Counts({ label, counts }: { label: string; counts: Record<string, number> }) {
  return (
    <Table aria-label={label}>
      <Table.Tbody>
        {Object.entries(counts).map(([k, n]) => (
          <Table.Tr key={k}>
            <Table.Th scope="row">
              <StateBadge value={k} />
            </Table.Th>
            <Table.Td ta="right">{n}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function Liveness() {
  const live = useLiveness();
  return <Panel title="Reachability" query={live}>{() => <Counts label="Hosts by reachability" counts={live.data!} />}</Panel>;
}

function Connectivity() {
  const conn = useConnectivity();
  return <Panel title="Monitoring state" query={conn}>{() => <Counts label="Hosts by monitoring state" counts={conn.data!} />}</Panel>;
}

function Trend() {
  const trend = useFleetTrend();
  const days = trend.data?.days ?? [];
  return (
    <Panel title="Compliance trend" query={trend} empty={days.length === 0 && 'No scans in the last 30 days'}>
      {() => (
        <LineChart
          h={200}
          data={days}
          dataKey="date"
          series={[{ name: 'avg_score_pct', label: 'Average score %', color: 'teal.6' }]}
          yAxisProps={{ domain: [0, 100] }}
          role="img"
          aria-label="Average compliance score per day over the last 30 days"
        />
      )}
    </Panel>
  );
}

function TopRules() {
  const rules = useTopFailingRules();
  const items = rules.data?.items ?? [];
  return (
    <Panel title="Top failing rules" query={rules} empty={items.length === 0 && 'No rule fails anywhere'}>
      {() => (
        <BarChart h={Math.max(120, items.length * 36)} data={items} dataKey="rule_id" orientation="vertical" yAxisProps={{ width: 200 }} series={[{ name: 'failing_host_count', label: 'Failing hosts', color: 'red.6' }]} role="img" aria-label={`Rules failing on the most hosts: ${items.map((r) => `${r.rule_id} (${r.failing_host_count})`).join(', ')}`} />
      )}
    </Panel>
  );
}

function TopHosts() {
  const name = useHostNames();
  const hosts = useTopFailingHosts();
  const items = hosts.data?.items ?? [];
  return (
    <Panel title="Top failing hosts" query={hosts} empty={items.length === 0 && 'No host fails a rule'}>
      {() => (
        <Table aria-label="Hosts failing the most rules">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Host</Table.Th>
              <Table.Th scope="col">Failing rules</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((h) => (
              <Table.Tr key={h.host_id}>
                <Table.Td>
                  <Anchor component={Link} to={`/fleet/hosts/${h.host_id}`}>{name(h.host_id)}</Anchor>
                </Table.Td>
                <Table.Td>{h.failing_rule_count}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Panel>
  );
}

function RecentChanges() {
  const name = useHostNames();
  const changes = useRecentChanges();
  const items = changes.data?.items ?? [];
  return (
    <Panel title="Recent changes" query={changes} empty={items.length === 0 && 'No rule changed state lately'}>
      {() => (
        <Table aria-label="Rule results that changed lately">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">When</Table.Th>
              <Table.Th scope="col">Host</Table.Th>
              <Table.Th scope="col">Rule</Table.Th>
              <Table.Th scope="col">Change</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{formatTime(c.occurred_at)}</Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/fleet/hosts/${c.host_id}`}>{name(c.host_id)}</Anchor>
                </Table.Td>
                <Table.Td><code>{c.rule_id}</code></Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {c.previous_status && <StateBadge value={c.previous_status} />}
                    {c.previous_status && <Text span aria-label="to">→</Text>}
                    <StateBadge value={c.status} />
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Panel>
  );
}
