import { Button, Code, Drawer, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { remediationCalls, useFleetAction, useHostNames, useHosts, usePlan, useRemediations, useSteps, type DryRun, type Remediation } from '../api';
import { hostLabel, StateBadge } from '../format';

/** Remediation: request a fix of a failing rule, see its plan and dry-run diff, approve, execute, roll back. */
export function RemediationPage() {
  const can = useCan();
  const list = useRemediations();
  const name = useHostNames();
  const [open, setOpen] = useState<Remediation | null>(null);
  const [requesting, setRequesting] = useState(false);
  const columns: Column<Remediation>[] = [
    { key: 'rule', header: 'Rule', render: (r) => <Button variant="subtle" size="compact-sm" onClick={() => setOpen(r)}>{r.rule_id}</Button> },
    { key: 'host', header: 'Host', render: (r) => name(r.host_id) },
    { key: 'status', header: 'Status', render: (r) => <StateBadge value={r.status} /> },
    { key: 'by', header: 'Requested by', render: (r) => r.requested_by },
    { key: 'when', header: 'Requested', render: (r) => formatTime(r.created_at) },
  ];
  return (
    <>
      <PageHeader title="Remediation" description="Fixes applied over SSH with a step journal, after approval; each can be rolled back." actions={can('remediation:request') && <Button onClick={() => setRequesting(true)}>Request remediation</Button>} />
      <DataTable label="Remediation requests" columns={columns} rows={list.data?.items} rowKey={(r) => r.id} loading={list.isPending} error={list.error} retry={() => list.refetch()} empty="Request the fix of a failing rule on a host." />
      {open && <RequestDrawer request={list.data?.items.find((r) => r.id === open.id) ?? open} onClose={() => setOpen(null)} />}
      {requesting && <RequestForm onClose={() => setRequesting(false)} />}
    </>
  );
}

function RequestDrawer({ request, onClose }: { request: Remediation; onClose: () => void }) {
  const can = useCan();
  const plan = usePlan(request.id);
  const steps = useSteps(request.id);
  const [dry, setDry] = useState<DryRun | null>(null);
  const dryRun = useFleetAction(remediationCalls.dryRun, 'Dry run done; nothing was changed.', setDry);
  const act = useFleetAction(remediationCalls.act, (r) => `Remediation ${r.status.replace('_', ' ')}.`);
  const run = (action: 'approve' | 'reject' | 'execute' | 'rollback') => act.mutate({ rid: request.id, action });
  const s = request.status;
  return (
    <Drawer opened onClose={onClose} position="right" size="xl" title={`Remediation of ${request.rule_id}`}>
      <Stack>
        <Group gap="xs"><StateBadge value={s} />{request.failure_reason && <Text c="red" size="sm">{request.failure_reason}</Text>}</Group>
        <Group gap="xs">
          {can('remediation:execute') && ['pending_approval', 'approved'].includes(s) && <Button size="xs" variant="default" loading={dryRun.isPending} onClick={() => dryRun.mutate(request.id)}>Dry run</Button>}
          {can('remediation:approve') && s === 'pending_approval' && <><Button size="xs" color="teal" onClick={() => run('approve')} loading={act.isPending}>Approve</Button><Button size="xs" color="red" variant="light" onClick={() => run('reject')} loading={act.isPending}>Reject</Button></>}
          {can('remediation:execute') && s === 'approved' && <Button size="xs" onClick={() => window.confirm('Apply the fix on the host now?') && run('execute')} loading={act.isPending}>Execute</Button>}
          {can('remediation:rollback') && ['executed', 'failed', 'partially_applied'].includes(s) && <Button size="xs" color="orange" variant="light" onClick={() => window.confirm('Undo the applied steps?') && run('rollback')} loading={act.isPending}>Roll back</Button>}
        </Group>
        <Title order={3} size="h5">Plan</Title>
        {plan.error ? <PageError error={plan.error} /> : plan.isPending ? <PageLoading label="Loading the plan" /> : (
          <Stack gap={4}>
            {plan.data!.steps.map((st, i) => <Text key={i} size="sm">{i + 1}. {st.description} <Text span c="dimmed" size="xs">({st.mechanism})</Text></Text>)}
            {plan.data!.manual && <Text size="sm" c="dimmed">Manual: {plan.data!.manual}</Text>}
          </Stack>
        )}
        {dry && (
          <>
            <Title order={3} size="h5">Dry-run diff</Title>
            {dry.steps.map((st) => (
              <div key={st.index}>
                <Text size="sm">{st.description}</Text>
                <Code block aria-label={`Diff of step ${st.index + 1}`}>{st.diff ?? '(no change)'}</Code>
              </div>
            ))}
          </>
        )}
        <Title order={3} size="h5">Step journal</Title>
        {steps.error ? <PageError error={steps.error} /> : steps.isPending ? <PageLoading label="Loading the steps" /> : steps.data!.items.length === 0 ? <Text size="sm" c="dimmed">Nothing applied yet.</Text> : (
          <Table aria-label="Applied steps">
            <Table.Tbody>
              {steps.data!.items.map((st) => (
                <Table.Tr key={`${st.index}-${st.at}`}>
                  <Table.Td>{formatTime(st.at)}</Table.Td>
                  <Table.Td>{st.description}</Table.Td>
                  <Table.Td><StateBadge value={st.status} /></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Drawer>
  );
}

function RequestForm({ onClose }: { onClose: () => void }) {
  const hosts = useHosts({});
  const [hostId, setHostId] = useState<string | null>(null);
  const request = useFleetAction(remediationCalls.request, 'Remediation requested; it waits for approval.', onClose);
  const submit = (form: FormData) => hostId && request.mutate({ host_id: hostId, rule_id: field(form, 'rule_id') ?? '', comment: field(form, 'comment') });
  return (
    <FormModal title="Request remediation" opened onClose={onClose} onSubmit={submit} submitLabel="Request" busy={request.isPending}>
      <Select label="Host" required searchable data={(hosts.data?.hosts ?? []).map((h) => ({ value: h.id, label: hostLabel(h) }))} value={hostId} onChange={setHostId} data-autofocus />
      <TextInput name="rule_id" label="Rule ID" required />
      <TextInput name="comment" label="Comment" />
    </FormModal>
  );
}
