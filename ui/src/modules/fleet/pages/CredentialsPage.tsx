import { ActionIcon, Badge, Button, Checkbox, Group, PasswordInput, SegmentedControl, Text, Textarea, TextInput } from '@mantine/core';
import { IconCopy, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { credentialCalls, useCredentials, useFleetAction, type Credential, type CredentialInput } from '../api';

type Method = CredentialInput['auth_method'];

/** SSH credentials: secrets go in sealed and never come back; only the key's fingerprint and type are shown. */
export function CredentialsPage() {
  const can = useCan();
  const creds = useCredentials();
  const [creating, setCreating] = useState(false);
  const columns: Column<Credential>[] = [
    { key: 'name', header: 'Name', render: (c) => <Group gap={4}>{c.name}{c.is_default && <Badge size="sm" variant="light">default</Badge>}</Group> },
    { key: 'user', header: 'User', render: (c) => c.username },
    { key: 'method', header: 'Authentication', render: (c) => c.auth_method.replace('_', ' ') },
    { key: 'key', header: 'Key', render: (c) => (c.ssh_key_fingerprint ? <Text size="xs"><code>{`${c.ssh_key_type ?? ''} ${c.ssh_key_fingerprint}`}</code></Text> : '—') },
    { key: 'scope', header: 'Scope', render: (c) => (c.scope === 'host' ? `host ${c.scope_id?.slice(0, 8)}` : 'system') },
    { key: 'created', header: 'Created', render: (c) => formatTime(c.created_at) },
  ];
  if (can('credential:write')) columns.push({ key: 'actions', header: 'Actions', render: (c) => <CredentialActions credential={c} canDelete={can('credential:delete')} /> });
  return (
    <>
      <PageHeader title="Credentials" description="How Rampart signs in to hosts over SSH. Secrets are sealed at rest and never shown again." actions={can('credential:write') && <Button onClick={() => setCreating(true)}>Add credential</Button>} />
      <DataTable label="Credentials" columns={columns} rows={creds.data?.credentials} rowKey={(c) => c.id} loading={creds.isPending} error={creds.error} retry={() => creds.refetch()} empty="Add a system credential; hosts without their own use it." />
      {creating && <CreateCredential onClose={() => setCreating(false)} />}
    </>
  );
}

function CreateCredential({ onClose }: { onClose: () => void }) {
  const [method, setMethod] = useState<Method>('ssh_key');
  const create = useFleetAction(credentialCalls.create, (c) => `Credential ${c.name} saved.`, onClose);
  const submit = (form: FormData) =>
    create.mutate({
      name: field(form, 'name') ?? '',
      username: field(form, 'username') ?? '',
      description: field(form, 'description') ?? null,
      auth_method: method,
      scope: 'system',
      is_default: form.get('is_default') === 'on',
      private_key: method === 'password' ? undefined : field(form, 'private_key'),
      private_key_passphrase: method === 'password' ? undefined : field(form, 'private_key_passphrase'),
      password: method === 'ssh_key' ? undefined : field(form, 'password'),
    });
  return (
    <FormModal title="Add a credential" opened onClose={onClose} onSubmit={submit} submitLabel="Save credential" busy={create.isPending} size="lg">
      <TextInput name="name" label="Name" required data-autofocus />
      <TextInput name="username" label="SSH user" required />
      <TextInput name="description" label="Description" />
      <div>
        <Text size="sm" fw={500} id="auth-method-label" mb={4}>Authentication</Text>
        <SegmentedControl
          aria-labelledby="auth-method-label"
          value={method}
          onChange={(v) => setMethod(v as Method)}
          data={[
            { value: 'ssh_key', label: 'SSH key' },
            { value: 'password', label: 'Password' },
            { value: 'both', label: 'Both' },
          ]}
        />
      </div>
      {method !== 'password' && (
        <>
          <Textarea name="private_key" label="Private key" required autosize minRows={4} maxRows={10} styles={{ input: { fontFamily: 'monospace' } }} />
          <PasswordInput name="private_key_passphrase" label="Key passphrase" />
        </>
      )}
      {method !== 'ssh_key' && <PasswordInput name="password" label="Password" description="Also used for sudo when sudo asks." required />}
      <Checkbox name="is_default" label="Default for hosts without their own" />
    </FormModal>
  );
}

function CredentialActions({ credential, canDelete }: { credential: Credential; canDelete: boolean }) {
  const clone = useFleetAction(credentialCalls.clone, (c) => `Cloned as ${c.name}.`);
  const remove = useFleetAction(credentialCalls.remove, `Credential ${credential.name} deleted.`);
  return (
    <Group gap={4} wrap="nowrap">
      <ActionIcon variant="subtle" aria-label={`Clone ${credential.name}`} loading={clone.isPending} onClick={() => clone.mutate({ id: credential.id, name: `${credential.name} (copy)` })}>
        <IconCopy size={16} />
      </ActionIcon>
      {canDelete && (
        <ActionIcon variant="subtle" color="red" aria-label={`Delete ${credential.name}`} loading={remove.isPending} onClick={() => window.confirm(`Delete the credential ${credential.name}?`) && remove.mutate(credential.id)}>
          <IconTrash size={16} />
        </ActionIcon>
      )}
    </Group>
  );
}
