import { ActionIcon, Badge, Button, Checkbox, Group, Menu, Modal, Stack, TagsInput, Text, TextInput, Tooltip } from '@mantine/core';
import { IconDots, IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { overlay } from '../../../app/api/client';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { formatTime } from '../../../shared/format';
import { downloadAttachment, PAGE_SIZE, useNodes, useOverlayAction, type Network, type OverlayNode } from '../api';
import { EnrollModal } from './EnrollModal';

const STATUS_COLOR = { pending: 'gray', active: 'teal', offline: 'orange', revoked: 'red' } as const;
const STATUS_HELP = {
  pending: 'No heartbeat or poll yet',
  active: 'A heartbeat or poll came recently',
  offline: 'No heartbeat or poll for a while',
  revoked: 'Its certificate is revoked',
} as const;

type Dialog = { node: OverlayNode; what: 'enroll' | 'revoke' | 're-enroll' };

export function NodesPanel({ network }: { network: Network }) {
  const [page, setPage] = useState(1);
  const nodes = useNodes(network.id, page);
  const [creating, setCreating] = useState(false);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const manage = network.can_manage_nodes;

  const columns: Column<OverlayNode>[] = [
    { key: 'hostname', header: 'Hostname', render: (n) => <Text fw={500}>{n.hostname}</Text> },
    { key: 'ip', header: 'Address', render: (n) => <code>{n.ip_address ?? '—'}</code> },
    {
      key: 'role', header: 'Role', render: (n) => (
        <Group gap={4}>
          {n.is_lighthouse && <Badge variant="light" color="grape">lighthouse</Badge>}
          {n.is_relay && <Badge variant="light" color="indigo">relay</Badge>}
          {!n.is_lighthouse && !n.is_relay && 'node'}
        </Group>
      ),
    },
    { key: 'groups', header: 'Groups', render: (n) => <Group gap={4}>{n.groups.map((g) => <Badge key={g} variant="light" color="gray">{g}</Badge>)}</Group> },
    {
      key: 'status', header: 'Status', render: (n) => (
        <Tooltip label={STATUS_HELP[n.status]} withArrow>
          <Badge color={STATUS_COLOR[n.status]} data-testid={`status-${n.hostname}`} tabIndex={0}>{n.status}</Badge>
        </Tooltip>
      ),
    },
    { key: 'seen', header: 'Last seen', render: (n) => <span data-testid={`last-seen-${n.hostname}`}>{formatTime(n.last_seen)}</span> },
    { key: 'polled', header: 'First poll', render: (n) => formatTime(n.first_polled_at) },
    { key: 'actions', header: 'Actions', render: (n) => <NodeMenu node={n} manage={manage} onDialog={(what) => setDialog({ node: n, what })} /> },
  ];

  return (
    <Stack>
      {manage && (
        <Group justify="flex-end">
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>Create node</Button>
        </Group>
      )}
      <DataTable
        label="Nodes"
        columns={columns}
        rows={nodes.data?.items}
        rowKey={(n) => n.id}
        total={nodes.data?.total}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        loading={nodes.isPending}
        error={nodes.error}
        retry={() => nodes.refetch()}
        empty={manage ? 'Start with a lighthouse: a node with a public address the others find each other through.' : 'Nobody has added a node yet.'}
      />
      {creating && <CreateNodeModal network={network} hasNodes={(nodes.data?.total ?? 0) > 0} onClose={() => setCreating(false)} />}
      {dialog?.what === 'enroll' && <EnrollModal node={dialog.node} onClose={() => setDialog(null)} />}
      {dialog?.what === 'revoke' && <RevokeModal node={dialog.node} onClose={() => setDialog(null)} />}
      {dialog?.what === 're-enroll' && <ReEnrollModal node={dialog.node} onClose={() => setDialog(null)} />}
    </Stack>
  );
}

function NodeMenu({ node, manage, onDialog }: { node: OverlayNode; manage: boolean; onDialog: (what: Dialog['what']) => void }) {
  const download = useOverlayAction(
    (what: 'config' | 'certs') => downloadAttachment(`/api/nodes/${node.id}/${what}`, what === 'config' ? `${node.hostname}.yml` : `${node.hostname}-certs.zip`),
    'Download started.',
  );
  const revoked = node.status === 'revoked';
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <ActionIcon variant="subtle" aria-label={`Actions for ${node.hostname}`}>
          <IconDots size={16} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item disabled={!manage || revoked} onClick={() => onDialog('enroll')}>Enrolment code</Menu.Item>
        <Menu.Item disabled={revoked} onClick={() => download.mutate('config')}>Download config</Menu.Item>
        <Menu.Item disabled={revoked} onClick={() => download.mutate('certs')}>Download certificates</Menu.Item>
        <Menu.Divider />
        <Menu.Item disabled={!manage} onClick={() => onDialog('re-enroll')}>Re-enroll</Menu.Item>
        <Menu.Item disabled={!manage || revoked} color="red" onClick={() => onDialog('revoke')}>Revoke certificate</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

interface NewNode {
  network_id: string;
  name: string;
  is_lighthouse: boolean;
  is_relay: boolean;
  groups: string[];
  public_endpoint?: string;
  suggested_ip?: string;
}

function CreateNodeModal({ network, hasNodes, onClose }: { network: Network; hasNodes: boolean; onClose: () => void }) {
  const [lighthouse, setLighthouse] = useState(!hasNodes);
  const [groups, setGroups] = useState<string[]>([]);
  const create = useOverlayAction((body: NewNode) => overlay.POST('/api/certificates/create', { body }), 'Node created with its certificate. Make an enrolment code to bring the device up.');
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const endpoint = String(f.get('public_endpoint') ?? '').trim();
    const ip = String(f.get('suggested_ip') ?? '').trim();
    create.mutate(
      {
        network_id: network.id, name: String(f.get('name')).trim(), is_lighthouse: lighthouse, is_relay: f.get('is_relay') === 'on', groups,
        ...(endpoint ? { public_endpoint: endpoint } : {}), ...(ip ? { suggested_ip: ip } : {}),
      },
      { onSuccess: onClose },
    );
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Create a node in ${network.name}`}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput name="name" label="Hostname" required autoComplete="off" data-autofocus />
          <Checkbox label="Lighthouse" description="Other nodes find each other through it; it needs a public address." checked={lighthouse} onChange={(e) => setLighthouse(e.currentTarget.checked)} />
          <TextInput name="public_endpoint" label="Public endpoint" placeholder="203.0.113.10:4242" required={lighthouse} description="host:port where nebula listens, for lighthouses and relays." autoComplete="off" />
          <Checkbox name="is_relay" label="Relay" />
          <TagsInput label="Groups" description="The group firewall's rules apply by group. Press Enter after each." value={groups} onChange={setGroups} />
          <TextInput name="suggested_ip" label="Address" placeholder={`Next free in ${network.subnet_cidr}`} autoComplete="off" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={create.isPending}>Create</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function RevokeModal({ node, onClose }: { node: OverlayNode; onClose: () => void }) {
  const [typed, setTyped] = useState('');
  const revoke = useOverlayAction(
    () => overlay.POST('/api/nodes/{node_id}/revoke-certificate', { params: { path: { node_id: node.id } }, body: { confirmation: typed } }),
    `${node.hostname}'s certificate is revoked; every other node blocks it at its next poll.`,
  );
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Revoke the certificate of ${node.hostname}`}>
      <Stack>
        <Text size="sm">The certificate enters every node's blocklist and the address is released. The node stays listed; re-enroll it to bring it back.</Text>
        <TextInput label={`Type ${node.hostname} to confirm`} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} autoComplete="off" data-autofocus />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button color="red" disabled={typed !== node.hostname} loading={revoke.isPending} onClick={() => revoke.mutate(undefined, { onSuccess: onClose })}>Revoke</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function ReEnrollModal({ node, onClose }: { node: OverlayNode; onClose: () => void }) {
  const [done, setDone] = useState(false);
  const reEnroll = useOverlayAction(() => overlay.POST('/api/nodes/{node_id}/re-enroll', { params: { path: { node_id: node.id } } }), `${node.hostname} has a new certificate and key.`);
  if (done) return <EnrollModal node={node} onClose={onClose} />;
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Re-enroll ${node.hostname}`}>
      <Stack>
        <Text size="sm">
          The current certificate is revoked and a new one issued with a new key. The running agent keeps working until a new
          enrolment code is redeemed; one is made next.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button loading={reEnroll.isPending} onClick={() => reEnroll.mutate(undefined, { onSuccess: () => setDone(true) })}>Re-enroll</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
