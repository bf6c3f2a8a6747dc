import { Button, Group, NumberInput, Select, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { exceptionCalls, useExceptions, useFleetAction, useHostNames, useHosts, type Exception, type ExceptionStatus } from '../api';
import { hostLabel, StateBadge } from '../format';

const STATUSES: ExceptionStatus[] = ['requested', 'approved', 'rejected', 'revoked', 'expired'];

/** Compliance exceptions: a rule waived on a host for a time, requested by one person and approved by another. */
export function ExceptionsPage() {
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') || undefined) as ExceptionStatus | undefined;
  const list = useExceptions(status);
  const name = useHostNames();
  const [requesting, setRequesting] = useState(false);
  const columns: Column<Exception>[] = [
    { key: 'rule', header: 'Rule', render: (e) => <code>{e.rule_id}</code> },
    { key: 'host', header: 'Host', render: (e) => name(e.host_id) },
    { key: 'status', header: 'Status', render: (e) => <StateBadge value={e.status} /> },
    { key: 'why', header: 'Justification', render: (e) => e.justification },
    { key: 'requested', header: 'Requested by', render: (e) => e.requested_by },
    { key: 'expires', header: 'Expires', render: (e) => formatTime(e.expires_at) },
  ];
  const reviewer = can('exception:approve') || can('exception:revoke');
  if (reviewer) columns.push({ key: 'actions', header: 'Actions', render: (e) => <Review exception={e} /> });
  return (
    <>
      <PageHeader title="Exceptions" description="Rules waived on a host until a date; the requester cannot approve their own." actions={can('exception:request') && <Button onClick={() => setRequesting(true)}>Request exception</Button>} />
      <DataTable
        label="Exceptions"
        columns={columns}
        rows={list.data?.items}
        rowKey={(e) => e.id}
        loading={list.isPending}
        error={list.error}
        retry={() => list.refetch()}
        filters={<Select label="Status" placeholder="Any" clearable data={STATUSES} value={status ?? null} onChange={(v) => setParams(v ? { status: v } : {}, { replace: true })} />}
        empty="No exception. Request one when a rule cannot apply to a host for now."
      />
      {requesting && <RequestForm onClose={() => setRequesting(false)} />}
    </>
  );
}

function Review({ exception }: { exception: Exception }) {
  const can = useCan();
  const review = useFleetAction(exceptionCalls.review, (e) => `Exception for ${e.rule_id}: ${e.status}.`);
  const run = (action: 'approve' | 'reject' | 'revoke') => review.mutate({ id: exception.id, action });
  return (
    <Group gap={4} wrap="nowrap">
      {exception.status === 'requested' && can('exception:approve') && (
        <>
          <Button size="xs" variant="light" color="teal" loading={review.isPending} onClick={() => run('approve')} aria-label={`Approve the exception for ${exception.rule_id}`}>Approve</Button>
          <Button size="xs" variant="light" color="red" loading={review.isPending} onClick={() => run('reject')} aria-label={`Reject the exception for ${exception.rule_id}`}>Reject</Button>
        </>
      )}
      {exception.status === 'approved' && can('exception:revoke') && (
        <Button size="xs" variant="subtle" color="red" loading={review.isPending} onClick={() => run('revoke')} aria-label={`Revoke the exception for ${exception.rule_id}`}>Revoke</Button>
      )}
    </Group>
  );
}

function RequestForm({ onClose }: { onClose: () => void }) {
  const hosts = useHosts({});
  const [hostId, setHostId] = useState<string | null>(null);
  const request = useFleetAction(exceptionCalls.request, 'Exception requested; someone else approves it.', onClose);
  const submit = (form: FormData) =>
    hostId && request.mutate({ hostId, rule_id: field(form, 'rule_id') ?? '', justification: field(form, 'justification') ?? '', duration_days: Number(field(form, 'duration_days') ?? 30) });
  return (
    <FormModal title="Request an exception" opened onClose={onClose} onSubmit={submit} submitLabel="Request" busy={request.isPending}>
      <Select label="Host" required searchable data={(hosts.data?.hosts ?? []).map((h) => ({ value: h.id, label: hostLabel(h) }))} value={hostId} onChange={setHostId} data-autofocus />
      <TextInput name="rule_id" label="Rule ID" required />
      <Textarea name="justification" label="Justification" required autosize minRows={2} />
      <NumberInput name="duration_days" label="Days" min={1} max={365} defaultValue={30} />
    </FormModal>
  );
}
