import { Badge, Button, Group, TagsInput, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { dataWithTotal, data, v1 } from '../../../app/api/client';
import { useCan, useMe } from '../../../app/auth/session';
import { DataTable, pageQuery, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { SecretOnce } from '../../../shared/components/SecretOnce';
import { formatTime } from '../../../shared/format';
import { useAction } from '../api';

const KEYS = ['identity', 'api-keys'] as const;
type ApiKey = Awaited<ReturnType<typeof listKeys>>['items'][number];

const listKeys = (page: number) => dataWithTotal(v1.GET('/api/v1/auth/api-keys', { params: { query: pageQuery(page) } }));

/** API keys: the caller's own (everyone's for those who may read them); the secret is shown once, at creation. */
export function ApiKeysPage() {
  const [page, setPage] = useState(1);
  const keys = useQuery({ queryKey: [...KEYS, page], queryFn: () => listKeys(page), placeholderData: (p) => p });
  const [creating, createModal] = useDisclosure();
  const [secret, setSecret] = useState<string | null>(null);
  const revoke = useAction((id: string) => v1.DELETE('/api/v1/auth/api-keys/{id}', { params: { path: { id } } }), 'The key is revoked.', KEYS);

  const columns: Column<ApiKey>[] = [
    { key: 'name', header: 'Name', render: (k) => k.name },
    { key: 'key', header: 'Key', render: (k) => <code>{k.masked_key}</code> },
    { key: 'scope', header: 'Permissions', render: (k) => <Group gap={4}>{k.permissions.map((p) => <Badge key={p} variant="light">{p}</Badge>)}</Group> },
    { key: 'expires', header: 'Expires', render: (k) => (k.expires_at ? formatTime(k.expires_at) : 'never') },
    { key: 'used', header: 'Last used', render: (k) => formatTime(k.last_used_at) },
    {
      key: 'state',
      header: 'State',
      render: (k) => (k.revoked_at ? <Badge color="gray">revoked</Badge> : <Button size="compact-sm" variant="subtle" color="red" onClick={() => revoke.mutate(k.id)} aria-label={`Revoke ${k.name}`}>Revoke</Button>),
    },
  ];

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys for scripts and integrations: Authorization: ApiKey <key>. A key never exceeds its creator's permissions."
        actions={<Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>Create API key</Button>}
      />
      <DataTable label="API keys" columns={columns} rows={keys.data?.items} rowKey={(k) => k.id} total={keys.data?.total} page={page} onPage={setPage} loading={keys.isPending} error={keys.error} retry={() => keys.refetch()} empty="Create a key for a script or an integration." />
      <CreateKeyModal opened={creating} onClose={createModal.close} onCreated={setSecret} />
      <SecretOnce title="Your new API key" secret={secret} onClose={() => setSecret(null)} />
    </>
  );
}

/** The permissions a key may carry: the registry's names when the caller may read it, else the caller's own grants. */
function usePermissionChoices() {
  const can = useCan();
  const me = useMe().data;
  const registry = useQuery({ queryKey: ['identity', 'registry'], queryFn: () => data(v1.GET('/api/v1/auth/permissions:registry')), enabled: can('role:read') });
  return ['*', ...(registry.data?.permissions.map((p) => p.name) ?? me?.permissions ?? [])].filter((p, i, all) => all.indexOf(p) === i);
}

function CreateKeyModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: (secret: string) => void }) {
  const choices = usePermissionChoices();
  const [permissions, setPermissions] = useState<string[]>([]);
  const create = useAction((body: { name: string; permissions: string[]; expires_at?: string }) => v1.POST('/api/v1/auth/api-keys', { body }), 'API key created.', KEYS);
  const submit = (f: FormData) => {
    const expires = field(f, 'expires');
    create.mutate(
      { name: String(f.get('name')), permissions, ...(expires ? { expires_at: new Date(expires).toISOString() } : {}) },
      {
        onSuccess: (res) => {
          const created = (res as { data?: { key: string } }).data;
          setPermissions([]);
          onClose();
          if (created) onCreated(created.key);
        },
      },
    );
  };
  return (
    <FormModal title="Create API key" opened={opened} onClose={onClose} onSubmit={submit} submitLabel="Create" busy={create.isPending}>
      <TextInput name="name" label="Name" required data-autofocus description="What uses it, e.g. backup-script." />
      <TagsInput label="Permissions" data={choices} value={permissions} onChange={setPermissions} description="resource:action, resource:* or *. Pick from the list or type one." />
      <TextInput name="expires" label="Expires" type="datetime-local" description="Leave empty for a key that does not expire." />
      {permissions.length === 0 && <Text size="sm" c="dimmed">A key without permissions can only identify its creator.</Text>}
    </FormModal>
  );
}
