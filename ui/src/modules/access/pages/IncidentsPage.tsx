import { Alert, Badge, Button, Card, Checkbox, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { playbookCalls, useAccessAction, usePlaybookRun, usePlaybooks, type PlaybookInput } from '../api';
import { StatusBadge } from '../components/format';

type Run = Awaited<ReturnType<typeof playbookCalls.start>>;
type Playbook = NonNullable<ReturnType<typeof usePlaybooks>['data']>['playbooks'][number];

const STEP_LABELS: Record<string, string> = {
  suspend_user: 'Suspend the user', revoke_devices: 'Revoke the devices', revoke_spcs: 'Revoke the signed policy credentials',
  kill_sessions: 'Kill the sessions', rotate_signers: 'Rotate the signing keys',
};

/** What a step touches, as "key: value" pairs (counts and ids). */
function affects(a: Record<string, unknown>): string {
  const parts = Object.entries(a).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${Array.isArray(v) ? v.length : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  return parts.join(' · ') || '—';
}

function RunSteps({ run, label }: { run: Run; label: string }) {
  return (
    <Table aria-label={label} withTableBorder>
      <Table.Thead><Table.Tr><Table.Th>Step</Table.Th><Table.Th>Status</Table.Th><Table.Th>Affects</Table.Th><Table.Th>Error</Table.Th></Table.Tr></Table.Thead>
      <Table.Tbody>
        {run.steps.map((s) => (
          <Table.Tr key={s.step}>
            <Table.Td>{STEP_LABELS[s.step] ?? s.step}</Table.Td>
            <Table.Td><StatusBadge value={s.status} /></Table.Td>
            <Table.Td>{affects(s.affects)}</Table.Td>
            <Table.Td>{s.error ?? '—'}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The incident playbooks, a run form whose dry run shows the plan first, the recent runs and one run's steps. */
export function IncidentsPage() {
  const can = useCan();
  const list = usePlaybooks();
  const [playbookId, setPlaybookId] = useState<string | null>(null);
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const [plan, setPlan] = useState<Run | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const run = usePlaybookRun(runId);
  const start = useAccessAction(
    (body: PlaybookInput) => playbookCalls.start(body),
    (r) => (r.dry_run ? 'Dry run: nothing changed' : 'Playbook run queued'),
    (r) => { if (r.dry_run) setPlan(r); else { setPlan(null); setRunId(r.id); } },
  );

  if (list.isPending) return <PageLoading />;
  if (list.error) return <PageError error={list.error} retry={() => list.refetch()} />;
  const playbooks = list.data!.playbooks;
  const chosen: Playbook | undefined = playbooks.find((p) => p.id === (playbookId ?? playbooks[0]?.id));
  const runColumns: Column<Run>[] = [
    { key: 'at', header: 'Started', render: (r) => formatTime(r.created_at) },
    { key: 'playbook', header: 'Playbook', render: (r) => playbooks.find((p) => p.id === r.playbook_id)?.name ?? r.playbook_id },
    { key: 'status', header: 'Status', render: (r) => <Group gap={4}><StatusBadge value={r.status} />{r.dry_run ? <Badge variant="outline" color="gray">dry run</Badge> : null}</Group> },
    { key: 'reason', header: 'Reason', render: (r) => r.reason },
    { key: 'steps', header: 'Steps', render: (r) => <Button size="xs" variant="default" onClick={() => setRunId(r.id)} aria-label={`Show steps of the run of ${formatTime(r.created_at)}`}>Show steps</Button> },
  ];
  const submit = () => {
    if (!chosen) return;
    const t = target.trim();
    const body: PlaybookInput = { playbook_id: chosen.id as PlaybookInput['playbook_id'], reason: reason.trim(), dry_run: dryRun,
      target: chosen.target === 'user' ? { user_id: t } : chosen.target === 'device' ? { device_id: t } : {} };
    start.mutate(body);
  };

  return (
    <>
      <PageHeader title="Incident playbooks" description="Contain a user or a device, kill sessions or rotate signers in one step: dry-run first to see what it touches." />
      <Stack gap="md">
        <section aria-label="Playbooks">
          <Title order={2} size="h4" mb="xs">Playbooks</Title>
          <Table aria-label="Playbooks" withTableBorder>
            <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Target</Table.Th><Table.Th>Steps</Table.Th><Table.Th>Description</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {playbooks.map((p) => (
                <Table.Tr key={p.id}>
                  <Table.Td><Text size="sm" fw={500}>{p.name}</Text></Table.Td>
                  <Table.Td>{p.target}</Table.Td>
                  <Table.Td>{p.steps.map((s) => STEP_LABELS[s] ?? s).join(', ')}</Table.Td>
                  <Table.Td>{p.description}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </section>

        {can('access_ops:run') ? (
          <Card withBorder component="section" aria-label="Run a playbook">
            <Title order={2} size="h4" mb="xs">Run a playbook</Title>
            <Stack gap="xs" component="form" onSubmit={(e) => { e.preventDefault(); submit(); }}>
              <Select label="Playbook" data={playbooks.map((p) => ({ value: p.id, label: p.name }))} value={chosen?.id ?? null} onChange={(v) => { setPlaybookId(v); setPlan(null); }} allowDeselect={false} w={320} />
              {chosen && chosen.target !== 'none' ? (
                <TextInput label={chosen.target === 'user' ? 'User id' : 'Device id'} value={target} onChange={(e) => { setTarget(e.currentTarget.value); setPlan(null); }} required />
              ) : null}
              <TextInput label="Reason" description="Kept in the audit trail." value={reason} onChange={(e) => setReason(e.currentTarget.value)} required />
              <Checkbox label="Dry run (show the plan, change nothing)" checked={dryRun} onChange={(e) => setDryRun(e.currentTarget.checked)} />
              <Group>
                <Button type="submit" color={dryRun ? undefined : 'red'} loading={start.isPending} disabled={!reason.trim() || (chosen?.target !== 'none' && !target.trim())}>
                  {dryRun ? 'Show the plan' : 'Run the playbook'}
                </Button>
              </Group>
            </Stack>
            {plan ? (
              <Stack gap="xs" mt="sm" aria-label="Plan">
                <Alert color="blue" title="The plan (dry run): nothing was changed">Uncheck “Dry run” and run again to carry it out.</Alert>
                <RunSteps run={plan} label="Planned steps" />
              </Stack>
            ) : null}
          </Card>
        ) : null}

        {runId ? (
          <Card withBorder component="section" aria-label="Run steps">
            <Group justify="space-between" mb="xs">
              <Title order={2} size="h4">Run steps</Title>
              <Button size="xs" variant="subtle" onClick={() => setRunId(null)}>Close</Button>
            </Group>
            {run.isPending ? <PageLoading label="Loading the run" /> : run.error ? <PageError error={run.error} retry={() => run.refetch()} /> : (
              <>
                <Text size="sm" mb="xs">Status: <StatusBadge value={run.data!.status} /> · {run.data!.reason} · started {formatTime(run.data!.created_at)}{run.data!.finished_at ? ` · finished ${formatTime(run.data!.finished_at)}` : ''}</Text>
                <RunSteps run={run.data!} label="Steps of the run" />
              </>
            )}
          </Card>
        ) : null}

        <section aria-label="Recent runs">
          <Title order={2} size="h4" mb="xs">Recent runs</Title>
          <DataTable label="Runs" columns={runColumns} rows={list.data!.runs} rowKey={(r) => r.id} empty="No playbook has run yet." />
        </section>
      </Stack>
    </>
  );
}
