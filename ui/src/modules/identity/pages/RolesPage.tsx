import { Badge, Button, Group, Spoiler, TagsInput, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { data, v1 } from '../../../app/api/client';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { useAction, useRoles } from '../api';

type Role = NonNullable<ReturnType<typeof useRoles>['data']>['items'][number];

/** Built-in and custom roles with what they grant; custom roles are made from the permission registry. */
export function RolesPage() {
  const can = useCan();
  const roles = useRoles();
  const [creating, createModal] = useDisclosure();
  const columns: Column<Role>[] = [
    { key: 'name', header: 'Role', render: (r) => <Group gap={6}>{r.name}{r.builtin && <Badge size="xs" variant="outline">built-in</Badge>}</Group> },
    { key: 'description', header: 'Description', render: (r) => r.description ?? '—' },
    {
      key: 'permissions',
      header: 'Grants',
      render: (r) => (
        <Spoiler maxHeight={52} showLabel={`Show all ${r.permissions.length}`} hideLabel="Show fewer">
          <Group gap={4}>{r.permissions.map((p) => <Badge key={p} variant="light" tt="none">{p}</Badge>)}</Group>
        </Spoiler>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title="Roles"
        description="What each role may do. Built-in roles follow the products Rampart replaces; custom roles are yours."
        actions={can('role:write') && <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>Create role</Button>}
      />
      <DataTable label="Roles" columns={columns} rows={roles.data?.items} rowKey={(r) => r.id} loading={roles.isPending} error={roles.error} retry={() => roles.refetch()} />
      <CreateRoleModal opened={creating} onClose={createModal.close} />
    </>
  );
}

function CreateRoleModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const registry = useQuery({ queryKey: ['identity', 'registry'], queryFn: () => data(v1.GET('/api/v1/auth/permissions:registry')), enabled: opened });
  const [permissions, setPermissions] = useState<string[]>([]);
  const create = useAction((body: { name: string; description?: string; permissions: string[] }) => v1.POST('/api/v1/roles:create', { body }), 'Role created.', ['identity', 'roles']);
  const submit = (f: FormData) => {
    const description = field(f, 'description');
    create.mutate({ name: String(f.get('name')), permissions, ...(description ? { description } : {}) }, { onSuccess: () => { setPermissions([]); onClose(); } });
  };
  return (
    <FormModal title="Create role" opened={opened} onClose={onClose} onSubmit={submit} submitLabel="Create" busy={create.isPending}>
      <TextInput name="name" label="Name" required data-autofocus />
      <TextInput name="description" label="Description" />
      <TagsInput label="Permissions" data={registry.data?.permissions.map((p) => p.name) ?? []} value={permissions} onChange={setPermissions} description="You can only grant what you hold yourself." />
    </FormModal>
  );
}
