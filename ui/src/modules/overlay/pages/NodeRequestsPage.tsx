import { Badge, Button, Group, Modal, Select, Stack, Text, Textarea } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { overlay } from '../../../app/api/client';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { PAGE_SIZE, useNodeRequests, useOverlayAction, type NodeRequest } from '../api';

const STATUS_COLOR = { pending: 'blue', approved: 'teal', rejected: 'gray' } as const;

/**
 * Requests members make for a node. Who may decide is per network (can_manage_nodes); the list does not say, so
 * the buttons show on every pending request and the server answers those who may not with a clear 403.
 */
export function NodeRequestsPage() {
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<NodeRequest['status'] | null>('pending');
  const requests = useNodeRequests(page, status ?? undefined);
  const [rejecting, setRejecting] = useState<NodeRequest | null>(null);
  const approve = useOverlayAction(
    (r: NodeRequest) => overlay.POST('/api/node-requests/{request_id}/approve', { params: { path: { request_id: r.id } } }),
    'Approved: the node exists with its address and certificate.',
  );

  const columns: Column<NodeRequest>[] = [
    { key: 'hostname', header: 'Hostname', render: (r) => r.hostname },
    { key: 'network', header: 'Network', render: (r) => r.network_name },
    { key: 'by', header: 'Requested by', render: (r) => r.requested_by_email ?? r.requested_by_user_id },
    { key: 'groups', header: 'Groups', render: (r) => <Group gap={4}>{r.groups.map((g) => <Badge key={g} variant="light" color="gray">{g}</Badge>)}{r.is_lighthouse && <Badge color="grape" variant="light">lighthouse</Badge>}</Group> },
    { key: 'status', header: 'Status', render: (r) => <Stack gap={0}><Badge color={STATUS_COLOR[r.status]}>{r.status}</Badge>{r.rejection_reason && <Text size="xs" c="dimmed">{r.rejection_reason}</Text>}</Stack> },
    { key: 'when', header: 'Requested', render: (r) => formatTime(r.created_at) },
    {
      key: 'actions', header: 'Actions', render: (r) => r.status !== 'pending' ? null : (
        <Group gap="xs" wrap="nowrap">
          <Button size="xs" loading={approve.isPending && approve.variables?.id === r.id} onClick={() => approve.mutate(r)} aria-label={`Approve ${r.hostname}`}>Approve</Button>
          <Button size="xs" variant="default" onClick={() => setRejecting(r)} aria-label={`Deny ${r.hostname}`}>Deny</Button>
        </Group>
      ),
    },
  ];

  return (
    <>
      <PageHeader title="Node requests" description="Members ask for nodes; those who manage a network's nodes approve or deny them." />
      <DataTable
        label="Node requests"
        columns={columns}
        rows={requests.data?.items}
        rowKey={(r) => r.id}
        total={requests.data?.total}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        loading={requests.isPending}
        error={requests.error}
        retry={() => requests.refetch()}
        filters={<Select label="Status" placeholder="Any" clearable data={['pending', 'approved', 'rejected']} value={status} onChange={(v) => { setStatus(v as NodeRequest['status'] | null); setPage(1); }} />}
        empty={status === 'pending' ? 'Nothing waits for a decision.' : 'No request matches.'}
      />
      {rejecting && <RejectModal request={rejecting} onClose={() => setRejecting(null)} />}
    </>
  );
}

function RejectModal({ request, onClose }: { request: NodeRequest; onClose: () => void }) {
  const reject = useOverlayAction(
    (reason: string) => overlay.POST('/api/node-requests/{request_id}/reject', { params: { path: { request_id: request.id } }, body: { reason } }),
    'Request denied.',
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    reject.mutate(String(new FormData(e.currentTarget).get('reason')).trim(), { onSuccess: onClose });
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Deny ${request.hostname}`}>
      <form onSubmit={submit}>
        <Stack>
          <Textarea name="reason" label="Reason" description="The requester sees it." required data-autofocus />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" color="red" loading={reject.isPending}>Deny</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
