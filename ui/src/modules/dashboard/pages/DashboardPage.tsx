import { BarChart } from '@mantine/charts';
import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useCan, useMe } from '../../../app/auth/session';
import { PageHeader } from '../../../shared/components/PageHeader';
import { EmptyState, PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { useReadiness, useRecentAudit, useUserCount, useVersion } from '../api';

/** Health of every module and data plane, a few counts, and what happened lately. */
export function DashboardPage() {
  const me = useMe().data;
  const can = useCan();
  return (
    <>
      <PageHeader title="Dashboard" description={`Signed in as ${me?.username}.`} />
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          <HealthCard />
          <CountsCard showUsers={can('user:read')} />
          <VersionCard />
        </SimpleGrid>
        {can('audit:read') && <RecentActivity />}
      </Stack>
    </>
  );
}

function HealthCard() {
  const ready = useReadiness();
  return (
    <Card withBorder component="section" aria-labelledby="health-title">
      <Title order={2} size="h4" id="health-title" mb="sm">
        Health
      </Title>
      {ready.isPending ? (
        <PageLoading label="Checking health" />
      ) : ready.isError ? (
        <PageError error={ready.error} retry={() => ready.refetch()} />
      ) : (
        <Stack gap={6}>
          {ready.data.checks.map((c) => (
            <Group key={c.name} justify="space-between" wrap="nowrap">
              <Text size="sm">{c.name.replaceAll('_', ' ')}</Text>
              <Badge color={c.ok ? 'teal' : 'red'} variant="light" title={c.detail ?? undefined}>
                {c.ok ? 'ok' : 'failing'}
              </Badge>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}

function CountsCard({ showUsers }: { showUsers: boolean }) {
  const users = useUserCount(showUsers);
  return (
    <Card withBorder component="section" aria-labelledby="counts-title">
      <Title order={2} size="h4" id="counts-title" mb="sm">
        Counts
      </Title>
      {showUsers ? (
        <Group justify="space-between">
          <Anchor component={Link} to="/identity/users" size="sm">
            Users
          </Anchor>
          <Text fw={700} data-testid="user-count">
            {users.data ?? '…'}
          </Text>
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          Nothing you may count here.
        </Text>
      )}
    </Card>
  );
}

function VersionCard() {
  const version = useVersion().data;
  return (
    <Card withBorder component="section" aria-labelledby="version-title">
      <Title order={2} size="h4" id="version-title" mb="sm">
        This Rampart
      </Title>
      <Text size="sm">Version {version?.rampart ?? '…'}</Text>
      <Text size="sm" c="dimmed">
        Node {version?.node ?? '…'} · commit{' '}
        {/* The short form fits the card; the whole hash is one hover (or a screen reader's title) away. */}
        <span title={version?.commit ?? undefined}>{version?.commit ? version.commit.slice(0, 12) : '…'}</span>
      </Text>
    </Card>
  );
}

/** The last 200 audit events: per hour as a chart, the newest ten as a list. */
function RecentActivity() {
  const recent = useRecentAudit(true);
  const events = recent.data?.items ?? [];
  return (
    <Card withBorder component="section" aria-labelledby="activity-title">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="activity-title">
          Recent activity
        </Title>
        <Anchor component={Link} to="/audit" size="sm">
          Open the audit trail
        </Anchor>
      </Group>
      {recent.isPending ? (
        <PageLoading label="Loading activity" />
      ) : recent.isError ? (
        <PageError error={recent.error} retry={() => recent.refetch()} />
      ) : events.length === 0 ? (
        <EmptyState title="No activity yet" />
      ) : (
        <Stack>
          <BarChart
            h={180}
            data={perHour(events)}
            dataKey="hour"
            type="stacked"
            series={[
              { name: 'success', color: 'teal.6' },
              { name: 'failure', color: 'orange.6' },
              { name: 'denied', color: 'red.6' },
            ]}
            role="img"
            aria-label="Audit events per hour over the last day, by result"
          />
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Action</Table.Th>
                <Table.Th scope="col">Who</Table.Th>
                <Table.Th scope="col">Result</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.slice(0, 10).map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{formatTime(e.occurred_at)}</Table.Td>
                  <Table.Td>{e.action}</Table.Td>
                  <Table.Td>{e.actor_name ?? e.actor_type}</Table.Td>
                  <Table.Td>{e.result}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </Card>
  );
}

/** The last 24 hours, one bar per hour (empty hours too, so the time axis is even). */
function perHour(events: { occurred_at: string; result: 'success' | 'failure' | 'denied' }[]) {
  const HOUR = 3_600_000;
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const buckets = Array.from({ length: 24 }, (_, i) => {
    const start = end - (23 - i) * HOUR;
    return { start, hour: `${String(new Date(start).getHours()).padStart(2, '0')}:00`, success: 0, failure: 0, denied: 0 };
  });
  for (const e of events) {
    const index = 23 - Math.floor((end - Math.floor(new Date(e.occurred_at).getTime() / HOUR) * HOUR) / HOUR);
    if (index >= 0 && index < 24) buckets[index][e.result] += 1;
  }
  return buckets;
}
