import { Badge, Button, Group, Modal, SegmentedControl, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { data, dataWithTotal, v1 } from '../../../app/api/client';
import { useCan } from '../../../app/auth/session';
import { DataTable, pageQuery, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { SecretOnce } from '../../../shared/components/SecretOnce';
import { EmptyState, PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { useAction } from '../api';

const ACCOUNTS = ['identity', 'service-accounts'] as const;
type Role = 'admin' | 'readonly';
type Account = Awaited<ReturnType<typeof listAccounts>>['items'][number];
const listAccounts = (page: number) => dataWithTotal(v1.GET('/api/v1/service-accounts', { params: { query: pageQuery(page) } }));

/** Machine identities (egress's service accounts) and their tokens; a token is shown once. */
export function ServiceAccountsPage() {
  const can = useCan();
  const [page, setPage] = useState(1);
  const accounts = useQuery({ queryKey: [...ACCOUNTS, page], queryFn: () => listAccounts(page), placeholderData: (p) => p });
  const [creating, createModal] = useDisclosure();
  const [tokensOf, setTokensOf] = useState<Account | null>(null);
  const columns: Column<Account>[] = [
    { key: 'name', header: 'Name', render: (a) => a.name },
    { key: 'description', header: 'Description', render: (a) => a.description ?? '—' },
    { key: 'role', header: 'Role', render: (a) => <Badge variant="light">{a.role}</Badge> },
    { key: 'status', header: 'Status', render: (a) => <Badge color={a.status === 'active' ? 'teal' : 'gray'}>{a.status}</Badge> },
    { key: 'created', header: 'Created', render: (a) => formatTime(a.created_at) },
    { key: 'tokens', header: 'Tokens', render: (a) => <Button size="compact-sm" variant="subtle" onClick={() => setTokensOf(a)} aria-label={`Tokens of ${a.name}`}>Tokens</Button> },
  ];
  return (
    <>
      <PageHeader
        title="Service accounts"
        description="Identities for automation. Their tokens carry the account's role, admin or readonly, never more."
        actions={can('service_account:write') && <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>Create service account</Button>}
      />
      <DataTable label="Service accounts" columns={columns} rows={accounts.data?.items} rowKey={(a) => a.id} total={accounts.data?.total} page={page} onPage={setPage} loading={accounts.isPending} error={accounts.error} retry={() => accounts.refetch()} empty="Create one for each system that calls Rampart." />
      <CreateAccountModal opened={creating} onClose={createModal.close} />
      {tokensOf && <TokensModal account={tokensOf} onClose={() => setTokensOf(null)} />}
    </>
  );
}

function CreateAccountModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [role, setRole] = useState<Role>('readonly');
  const create = useAction((body: { name: string; description?: string; role: Role }) => v1.POST('/api/v1/service-accounts', { body }), 'Service account created.', ACCOUNTS);
  const submit = (f: FormData) => {
    const description = field(f, 'description');
    create.mutate({ name: String(f.get('name')), role, ...(description ? { description } : {}) }, { onSuccess: onClose });
  };
  return (
    <FormModal title="Create service account" opened={opened} onClose={onClose} onSubmit={submit} submitLabel="Create" busy={create.isPending}>
      <TextInput name="name" label="Name" required data-autofocus />
      <TextInput name="description" label="Description" />
      <Select label="Role" data={['readonly', 'admin']} value={role} onChange={(v) => setRole((v as Role) ?? 'readonly')} allowDeselect={false} />
    </FormModal>
  );
}

function TokensModal({ account, onClose }: { account: Account; onClose: () => void }) {
  const can = useCan();
  const key = [...ACCOUNTS, account.id, 'tokens'];
  const tokens = useQuery({ queryKey: key, queryFn: () => data(v1.GET('/api/v1/service-accounts/{id}/tokens', { params: { path: { id: account.id } } })) });
  const [secret, setSecret] = useState<string | null>(null);
  const [ttl, setTtl] = useState('90d');
  const [eternal, setEternal] = useState(false);
  const create = useAction(async (name: string) => {
    const res = await v1.POST('/api/v1/service-accounts/{id}/tokens', { params: { path: { id: account.id } }, body: { ...(name ? { name } : {}), ...(eternal ? { eternal: true } : { ttl }) } });
    setSecret(res.data?.token ?? null);
  }, 'Token created.', key);
  const revoke = useAction((tokenId: string) => v1.DELETE('/api/v1/service-accounts/{id}/tokens/{token_id}', { params: { path: { id: account.id, token_id: tokenId } } }), 'Token revoked.', key);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    create.mutate(String(new FormData(e.currentTarget).get('name') ?? '').trim());
  };
  return (
    <Modal opened onClose={onClose} title={`Tokens of ${account.name}`} size="lg">
      <Stack>
        {tokens.isPending ? <PageLoading /> : tokens.isError ? <PageError error={tokens.error} /> : tokens.data.length === 0 ? <EmptyState title="No tokens yet" /> : (
          <Table>
            <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Status</Table.Th><Table.Th>Expires</Table.Th><Table.Th>Revoke</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {tokens.data.map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>{t.name ?? t.id.slice(0, 8)}</Table.Td>
                  <Table.Td>{t.status}</Table.Td>
                  <Table.Td>{t.expires_at ? formatTime(t.expires_at) : 'never'}</Table.Td>
                  <Table.Td>{t.status === 'active' && can('service_account:write') && <Button size="compact-sm" color="red" variant="subtle" onClick={() => revoke.mutate(t.id)}>Revoke</Button>}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {can('service_account:write') && account.status === 'active' && (
          <form onSubmit={submit}>
            <Stack gap="xs">
              <Text fw={600} size="sm">New token</Text>
              <Group align="flex-end">
                <TextInput name="name" label="Name" />
                <div>
                  <Text size="sm" fw={500} id="ttl-label">Lifetime</Text>
                  <SegmentedControl aria-labelledby="ttl-label" data={['24h', '30d', '90d']} value={ttl} onChange={setTtl} disabled={eternal} />
                </div>
                <Switch label="Never expires" checked={eternal} onChange={(e) => setEternal(e.currentTarget.checked)} />
                <Button type="submit" loading={create.isPending}>Create token</Button>
              </Group>
            </Stack>
          </form>
        )}
      </Stack>
      <SecretOnce title="The new token" secret={secret} onClose={() => setSecret(null)} />
    </Modal>
  );
}
