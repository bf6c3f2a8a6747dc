import { ActionIcon, Anchor, Badge, Button, Checkbox, Group, Menu, Modal, NumberInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconDots, IconMailPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { overlay } from '../../../app/api/client';
import { useCan } from '../../../app/auth/session';
import { CopyButton } from '../../../shared/components/CopyButton';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { formatTime } from '../../../shared/format';
import { PAGE_SIZE, useInvitations, useMembers, useOverlayAction, type Invitation, type Member, type Network } from '../api';

type Flags = Pick<Member, 'role' | 'can_manage_nodes' | 'can_invite_users' | 'can_manage_firewall'>;
const FLAG_LABELS = { can_manage_nodes: 'Manage nodes', can_invite_users: 'Invite users', can_manage_firewall: 'Manage the firewall' } as const;
const FLAGS = Object.keys(FLAG_LABELS) as (keyof typeof FLAG_LABELS)[];

function FlagBadges({ of }: { of: Flags }) {
  return <Group gap={4}>{FLAGS.filter((f) => of[f]).map((f) => <Badge key={f} variant="light" color="gray">{FLAG_LABELS[f]}</Badge>)}</Group>;
}

/** Members (owners and system admins see them) and invitations (who may invite sees them). */
export function MembersPanel({ network }: { network: Network }) {
  const can = useCan();
  const owner = network.role === 'owner';
  return (
    <Stack gap="xl">
      {(owner || can('*')) && <Members network={network} owner={owner} />}
      {network.can_invite_users && <Invitations network={network} owner={owner} />}
      {!owner && !can('*') && !network.can_invite_users && <Text c="dimmed">Only the network's owners see its members.</Text>}
    </Stack>
  );
}

function Members({ network, owner }: { network: Network; owner: boolean }) {
  const [page, setPage] = useState(1);
  const members = useMembers(network.id, page, true);
  const [editing, setEditing] = useState<Member | null>(null);
  const remove = useOverlayAction((m: Member) => overlay.DELETE('/api/networks/{network_id}/users/{target_user_id}', { params: { path: { network_id: network.id, target_user_id: m.user_id } } }), 'Member removed.');
  const columns: Column<Member>[] = [
    { key: 'email', header: 'User', render: (m) => m.email ?? m.user_id },
    { key: 'role', header: 'Role', render: (m) => <Badge variant="light" color={m.role === 'owner' ? 'blue' : 'gray'}>{m.role}</Badge> },
    { key: 'flags', header: 'May', render: (m) => <FlagBadges of={m} /> },
    { key: 'since', header: 'Since', render: (m) => formatTime(m.created_at) },
  ];
  if (owner) {
    columns.push({
      key: 'actions', header: 'Actions', render: (m) => (
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <ActionIcon variant="subtle" aria-label={`Actions for ${m.email ?? m.user_id}`}><IconDots size={16} /></ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item onClick={() => setEditing(m)}>Change role and rights</Menu.Item>
            <Menu.Item color="red" onClick={() => remove.mutate(m)}>Remove from the network</Menu.Item>
          </Menu.Dropdown>
        </Menu>
      ),
    });
  }
  return (
    <Stack gap="sm">
      <Title order={2} size="h4">Members</Title>
      <DataTable label="Members" columns={columns} rows={members.data?.items} rowKey={(m) => m.user_id} total={members.data?.total} page={page} pageSize={PAGE_SIZE} onPage={setPage}
        loading={members.isPending} error={members.error} retry={() => members.refetch()} empty="Invite someone below." />
      {editing && <MemberModal network={network} member={editing} onClose={() => setEditing(null)} />}
    </Stack>
  );
}

function MemberModal({ network, member, onClose }: { network: Network; member: Member; onClose: () => void }) {
  // Only these fields: the update is strict, and a member view carries more.
  const [flags, setFlags] = useState<Flags>({ role: member.role, can_manage_nodes: member.can_manage_nodes, can_invite_users: member.can_invite_users, can_manage_firewall: member.can_manage_firewall });
  const save = useOverlayAction(
    () => overlay.PATCH('/api/networks/{network_id}/users/{target_user_id}', { params: { path: { network_id: network.id, target_user_id: member.user_id } }, body: flags }),
    'Member saved.',
  );
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Role and rights of ${member.email ?? member.user_id}`}>
      <Stack>
        <FlagFields value={flags} onChange={setFlags} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button loading={save.isPending} onClick={() => save.mutate(undefined, { onSuccess: onClose })}>Save</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function FlagFields({ value, onChange }: { value: Flags; onChange: (next: Flags) => void }) {
  return (
    <>
      <Select label="Role" data={['member', 'owner']} value={value.role} onChange={(r) => onChange({ ...value, role: (r ?? 'member') as Flags['role'] })} allowDeselect={false} />
      {FLAGS.map((f) => <Checkbox key={f} label={FLAG_LABELS[f]} checked={value[f]} onChange={(e) => onChange({ ...value, [f]: e.currentTarget.checked })} />)}
    </>
  );
}

const STATUS_COLOR = { pending: 'blue', accepted: 'teal', revoked: 'gray', expired: 'orange' } as const;

function Invitations({ network, owner }: { network: Network; owner: boolean }) {
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<Invitation['status'] | null>(null);
  const invitations = useInvitations(network.id, page, status ?? undefined, true);
  const [inviting, setInviting] = useState(false);
  const resend = useOverlayAction((i: Invitation) => overlay.POST('/api/invitations/{invitation_id}/resend', { params: { path: { invitation_id: i.id } } }), 'The invitation is sent again.');
  const revoke = useOverlayAction((i: Invitation) => overlay.DELETE('/api/invitations/{invitation_id}', { params: { path: { invitation_id: i.id } } }), 'The invitation is revoked; its link no longer works.');
  const columns: Column<Invitation>[] = [
    { key: 'email', header: 'Email', render: (i) => i.email },
    { key: 'role', header: 'Role', render: (i) => <Group gap={4}><Badge variant="light" color="gray">{i.role}</Badge><FlagBadges of={i} /></Group> },
    { key: 'status', header: 'Status', render: (i) => <Badge color={STATUS_COLOR[i.status]}>{i.status}</Badge> },
    { key: 'mail', header: 'Mail', render: (i) => (i.email_status === 'failed' ? `failed: ${i.email_error ?? ''}` : i.email_status.replace('_', ' ')) },
    { key: 'expires', header: 'Expires', render: (i) => formatTime(i.expires_at) },
    {
      key: 'link', header: 'Link', render: (i) => i.token && i.status === 'pending' ? (
        <Group gap={2} wrap="nowrap">
          <Anchor href={`/invitations/${i.token}`} size="sm" data-testid={`invitation-link-${i.email}`}>open</Anchor>
          <CopyButton value={`${window.location.origin}/invitations/${i.token}`} label={`Copy the invitation link for ${i.email}`} />
        </Group>
      ) : '—',
    },
    {
      key: 'actions', header: 'Actions', render: (i) => i.status !== 'pending' ? null : (
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <ActionIcon variant="subtle" aria-label={`Actions for the invitation of ${i.email}`}><IconDots size={16} /></ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item onClick={() => resend.mutate(i)}>Send again</Menu.Item>
            <Menu.Item color="red" onClick={() => revoke.mutate(i)}>Revoke</Menu.Item>
          </Menu.Dropdown>
        </Menu>
      ),
    },
  ];
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={2} size="h4">Invitations</Title>
        <Button leftSection={<IconMailPlus size={16} />} onClick={() => setInviting(true)}>Invite</Button>
      </Group>
      <DataTable label="Invitations" columns={columns} rows={invitations.data?.items} rowKey={(i) => i.id} total={invitations.data?.total} page={page} pageSize={PAGE_SIZE} onPage={setPage}
        loading={invitations.isPending} error={invitations.error} retry={() => invitations.refetch()}
        filters={<Select label="Status" placeholder="Any" clearable data={['pending', 'accepted', 'revoked', 'expired']} value={status} onChange={(v) => { setStatus(v as Invitation['status'] | null); setPage(1); }} />}
        empty={status ? 'No invitation has this status.' : 'Invite someone with the button above; they get a link by mail, and you can copy it here.'} />
      {inviting && <InviteModal network={network} owner={owner} onClose={() => setInviting(false)} />}
    </Stack>
  );
}

function InviteModal({ network, owner, onClose }: { network: Network; owner: boolean; onClose: () => void }) {
  const [flags, setFlags] = useState<Flags>({ role: 'member', can_manage_nodes: false, can_invite_users: false, can_manage_firewall: false });
  const [days, setDays] = useState<number | string>(7);
  const invite = useOverlayAction(
    (email: string) => overlay.POST('/api/invitations', { body: { network_id: network.id, email, expires_in_days: Number(days), ...flags } }),
    'Invitation made; its link is in the list.',
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    invite.mutate(String(new FormData(e.currentTarget).get('email')).trim(), { onSuccess: onClose });
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Invite someone to ${network.name}`}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput name="email" type="email" label="Email" required autoComplete="off" data-autofocus />
          {owner ? <FlagFields value={flags} onChange={setFlags} /> : <Text size="sm" c="dimmed">They join as a member; you may grant only rights you hold.</Text>}
          <NumberInput label="Valid for (days)" min={1} max={30} value={days} onChange={setDays} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={invite.isPending}>Invite</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
