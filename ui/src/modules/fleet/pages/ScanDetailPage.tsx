import { Accordion, Anchor, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { useScan } from '../api';
import { percent, StateBadge } from '../format';
import { Evidence } from './Evidence';
import { Panel } from './Panel';

/** One scan: its run and every rule's result, with the evidence behind each. */
export function ScanDetailPage() {
  const { id = '' } = useParams();
  const scan = useScan(id);
  if (scan.error) return <PageError error={scan.error} retry={() => scan.refetch()} />;
  if (scan.isPending) return <PageLoading label="Loading the scan" />;
  const { scan: s, results } = scan.data!;
  const facts: [string, string][] = [
    ['Queued', formatTime(s.queued_at)],
    ['Started', formatTime(s.started_at)],
    ['Finished', formatTime(s.finished_at)],
    ['Score', percent(s.score)],
    ['Pass / fail / skipped / error', `${s.rules_pass} / ${s.rules_fail} / ${s.rules_skipped} / ${s.rules_error}`],
    ['Policy version', s.policy_version],
  ];
  return (
    <>
      <PageHeader title="Scan" description={`Scan ${s.scan_id} (${s.trigger_source.replace('_', ' ')}, attempt ${s.attempts})`} actions={<StateBadge value={s.status} />} />
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 2, md: 3 }}>
          {facts.map(([k, v]) => (
            <div key={k}>
              <Text size="xs" c="dimmed">{k}</Text>
              <Text>{v}</Text>
            </div>
          ))}
          <div>
            <Text size="xs" c="dimmed">Host</Text>
            <Anchor component={Link} to={`/fleet/hosts/${s.host_id}`}>{s.host_id}</Anchor>
          </div>
        </SimpleGrid>
        {s.failure_reason && <Text c="red">{s.failure_reason}</Text>}
        <Panel title="Results" query={scan} empty={results.length === 0 && 'No results recorded'}>
          {() => (
            <Accordion variant="separated" chevronPosition="left">
              {results.map((r) => (
                <Accordion.Item key={r.rule_id} value={r.rule_id}>
                  <Accordion.Control>
                    <Group gap="xs" wrap="nowrap">
                      <StateBadge value={r.status} />
                      <StateBadge value={r.severity} />
                      <Text size="sm" fw={500}>{r.title}</Text>
                      <Text size="xs" c="dimmed">{r.rule_id}</Text>
                    </Group>
                  </Accordion.Control>
                  <Accordion.Panel>
                    {r.skip_reason && <Text size="sm" c="dimmed">Skipped: {r.skip_reason}</Text>}
                    {r.has_evidence ? <Evidence scanId={s.scan_id} ruleId={r.rule_id} /> : <Text size="sm" c="dimmed">No evidence recorded.</Text>}
                  </Accordion.Panel>
                </Accordion.Item>
              ))}
            </Accordion>
          )}
        </Panel>
      </Stack>
    </>
  );
}
