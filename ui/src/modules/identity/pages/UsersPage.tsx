import { ActionIcon, Badge, Button, Group, Menu, Modal, MultiSelect, PasswordInput, Select, Stack, TextInput } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { IconDots, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { useAction, useRoles, userActions, useUsers } from '../api';

type Status = 'active' | 'suspended' | 'disabled';
interface User {
  id: string;
  username: string;
  email: string | null;
  display_name: string | null;
  roles: string[];
  status: Status;
  mfa_enabled: boolean;
  last_login_at: string | null;
}

export function UsersPage() {
  const can = useCan();
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<Status | null>(null);
  const [debounced] = useDebouncedValue(search, 300);
  const users = useUsers(page, { search: debounced, status: status ?? undefined });
  const [creating, createModal] = useDisclosure();
  const [editing, setEditing] = useState<{ user: User; what: 'password' | 'roles' } | null>(null);

  const columns: Column<User>[] = [
    { key: 'username', header: 'Username', render: (u) => u.username },
    { key: 'email', header: 'Email', render: (u) => u.email ?? '—' },
    { key: 'roles', header: 'Roles', render: (u) => <Group gap={4}>{u.roles.map((r) => <Badge key={r} variant="light">{r}</Badge>)}</Group> },
    { key: 'status', header: 'Status', render: (u) => <Badge color={u.status === 'active' ? 'teal' : 'gray'}>{u.status}</Badge> },
    { key: 'mfa', header: 'MFA', render: (u) => (u.mfa_enabled ? 'on' : 'off') },
    { key: 'last', header: 'Last sign-in', render: (u) => formatTime(u.last_login_at) },
  ];
  if (can('user:write')) columns.push({ key: 'actions', header: 'Actions', render: (u) => <UserMenu user={u} onEdit={(what) => setEditing({ user: u, what })} /> });

  return (
    <>
      <PageHeader
        title="Users"
        description="People who sign in to Rampart, on every surface."
        actions={can('user:write') && <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>Create user</Button>}
      />
      <DataTable
        label="Users"
        columns={columns}
        rows={users.data?.items}
        rowKey={(u) => u.id}
        total={users.data?.total}
        page={page}
        onPage={setPage}
        loading={users.isPending}
        error={users.error}
        retry={() => users.refetch()}
        filters={
          <>
            <TextInput label="Search" placeholder="Username, email or name" value={search} onChange={(e) => { setSearch(e.currentTarget.value); setPage(1); }} />
            <Select label="Status" placeholder="Any" clearable data={['active', 'suspended', 'disabled']} value={status} onChange={(v) => { setStatus(v as Status | null); setPage(1); }} />
          </>
        }
        empty={debounced || status ? 'No user matches these filters.' : 'Create the first user with the button above.'}
      />
      <CreateUserModal opened={creating} onClose={createModal.close} />
      {editing?.what === 'password' && <ResetPasswordModal user={editing.user} onClose={() => setEditing(null)} />}
      {editing?.what === 'roles' && <RolesModal user={editing.user} onClose={() => setEditing(null)} />}
    </>
  );
}

function UserMenu({ user, onEdit }: { user: User; onEdit: (what: 'password' | 'roles') => void }) {
  const suspend = useAction(userActions.suspend, `${user.username} is suspended; their sessions have ended.`);
  const reactivate = useAction(userActions.reactivate, `${user.username} is active again.`);
  const endSessions = useAction(userActions.endSessions, `${user.username} is signed out everywhere.`);
  const can = useCan();
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <ActionIcon variant="subtle" aria-label={`Actions for ${user.username}`}>
          <IconDots size={16} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => onEdit('roles')}>Change roles</Menu.Item>
        <Menu.Item onClick={() => onEdit('password')}>Reset password</Menu.Item>
        {can('session:revoke') && <Menu.Item onClick={() => endSessions.mutate(user.id)}>End all sessions</Menu.Item>}
        {user.status === 'active' ? (
          <Menu.Item color="red" onClick={() => suspend.mutate(user.id)}>Suspend</Menu.Item>
        ) : (
          <Menu.Item onClick={() => reactivate.mutate(user.id)}>Reactivate</Menu.Item>
        )}
      </Menu.Dropdown>
    </Menu>
  );
}

function CreateUserModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const roles = useRoles();
  const [chosen, setChosen] = useState<string[]>([]);
  const create = useAction(userActions.create, 'User created. They are asked to pick their own password at first sign-in.');
  const submit = (f: FormData) => {
    const displayName = field(f, 'display_name');
    create.mutate(
      { username: String(f.get('username')), email: String(f.get('email')), password: String(f.get('password')), roles: chosen, ...(displayName ? { display_name: displayName } : {}) },
      { onSuccess: () => { setChosen([]); onClose(); } },
    );
  };
  return (
    <FormModal title="Create user" opened={opened} onClose={onClose} onSubmit={submit} submitLabel="Create" busy={create.isPending}>
      <TextInput name="username" label="Username" required autoComplete="off" data-autofocus />
      <TextInput name="email" label="Email" type="email" required autoComplete="off" />
      <TextInput name="display_name" label="Display name" autoComplete="off" />
      <PasswordInput name="password" label="Initial password" required autoComplete="new-password" description="At least 12 characters; they change it at first sign-in." />
      <MultiSelect label="Roles" data={(roles.data?.items ?? []).map((r) => r.name)} value={chosen} onChange={setChosen} searchable />
    </FormModal>
  );
}

function ResetPasswordModal({ user, onClose }: { user: User; onClose: () => void }) {
  const reset = useAction((password: string) => userActions.setPassword(user.id, password), `${user.username}'s password is reset; their sessions have ended.`);
  return (
    <FormModal title={`Reset the password of ${user.username}`} opened onClose={onClose} onSubmit={(f) => reset.mutate(String(f.get('password')), { onSuccess: onClose })} submitLabel="Reset password" busy={reset.isPending} danger>
      <PasswordInput name="password" label="New password" required autoComplete="new-password" data-autofocus description="They must change it at their next sign-in." />
    </FormModal>
  );
}

/** Roles are granted and taken one by one, as the API does; the list shows the outcome of each. */
function RolesModal({ user, onClose }: { user: User; onClose: () => void }) {
  const roles = useRoles();
  const [chosen, setChosen] = useState(user.roles);
  const save = useAction(async (next: string[]) => {
    for (const r of next.filter((r) => !user.roles.includes(r))) await userActions.assignRole(user.id, r);
    for (const r of user.roles.filter((r) => !next.includes(r))) await userActions.unassignRole(user.id, r);
  }, `${user.username}'s roles are saved.`);
  return (
    <Modal opened onClose={onClose} title={`Roles of ${user.username}`}>
      <Stack>
        <MultiSelect label="Roles" data={(roles.data?.items ?? []).map((r) => r.name)} value={chosen} onChange={setChosen} searchable data-autofocus />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button loading={save.isPending} onClick={() => save.mutate(chosen, { onSuccess: onClose })}>Save roles</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
