import { Badge, Button, Card, Group, NumberInput, PasswordInput, Select, SimpleGrid, Stack, Switch, TextInput, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQuery } from '@tanstack/react-query';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { data, dataWithTotal, v1 } from '../../../app/api/client';
import { useCan } from '../../../app/auth/session';
import { DataTable, pageQuery, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { useAction } from '../api';

const PROVIDERS = ['identity', 'sso-providers'] as const;
type Kind = 'generic-oidc' | 'google' | 'github';
type Provider = Awaited<ReturnType<typeof listProviders>>['items'][number];
const listProviders = (page: number) => dataWithTotal(v1.GET('/api/v1/settings/sso/providers', { params: { query: pageQuery(page) } }));

/** SSO providers (OIDC, Google, GitHub) with a "test" of their discovery, and the sign-in rules. */
export function SsoPage() {
  const can = useCan();
  const [page, setPage] = useState(1);
  const providers = useQuery({ queryKey: [...PROVIDERS, page], queryFn: () => listProviders(page), placeholderData: (p) => p });
  const [creating, createModal] = useDisclosure();
  const remove = useAction((id: string) => v1.DELETE('/api/v1/settings/sso/providers/{id}', { params: { path: { id } } }), 'Provider removed.', PROVIDERS);
  const test = useAction(async (p: Provider) => {
    const result = (await v1.POST('/api/v1/settings/sso/providers/{id}/test', { params: { path: { id: p.id } } })).data;
    notifications.show({ color: result?.ok ? 'teal' : 'red', title: `${p.name}: ${result?.ok ? 'reachable' : 'not reachable'}`, message: result?.detail ?? '' });
  }, 'Test finished.', PROVIDERS);
  const writable = can('sso_provider:write');
  const columns: Column<Provider>[] = [
    { key: 'name', header: 'Name', render: (p) => <Group gap={6}>{p.name}{p.is_default && <Badge size="xs">default</Badge>}</Group> },
    { key: 'kind', header: 'Kind', render: (p) => p.kind },
    { key: 'issuer', header: 'Issuer', render: (p) => p.issuer_url },
    { key: 'enabled', header: 'Enabled', render: (p) => (p.enabled ? 'yes' : 'no') },
    { key: 'role', header: 'Default role', render: (p) => p.default_role ?? '—' },
    {
      key: 'actions',
      header: 'Actions',
      render: (p) =>
        writable && (
          <Group gap={4} wrap="nowrap">
            <Button size="compact-sm" variant="subtle" onClick={() => test.mutate(p)} aria-label={`Test ${p.name}`}>Test</Button>
            <Button size="compact-sm" variant="subtle" color="red" onClick={() => remove.mutate(p.id)} aria-label={`Remove ${p.name}`}>Remove</Button>
          </Group>
        ),
    },
  ];
  return (
    <>
      <PageHeader
        title="SSO and sign-in"
        description="Identity providers users may sign in with, and the rules every sign-in follows."
        actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>Add provider</Button>}
      />
      <Stack gap="lg">
        <DataTable label="SSO providers" columns={columns} rows={providers.data?.items} rowKey={(p) => p.id} total={providers.data?.total} page={page} onPage={setPage} loading={providers.isPending} error={providers.error} retry={() => providers.refetch()} empty="Add an OIDC provider to offer single sign-on." />
        {can('settings:read') && <AuthSettingsCard />}
      </Stack>
      <CreateProviderModal opened={creating} onClose={createModal.close} />
    </>
  );
}

function CreateProviderModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [kind, setKind] = useState<Kind>('generic-oidc');
  const [enabled, setEnabled] = useState(true);
  const create = useAction((body: Record<string, unknown>) => v1.POST('/api/v1/settings/sso/providers', { body }), 'Provider added.', PROVIDERS);
  const submit = (f: FormData) => {
    const [secret, role] = [field(f, 'client_secret'), field(f, 'default_role')];
    create.mutate(
      { name: field(f, 'name'), kind, issuer_url: field(f, 'issuer_url'), client_id: field(f, 'client_id'), ...(secret ? { client_secret: secret } : {}), ...(role ? { default_role: role } : {}), enabled },
      { onSuccess: onClose },
    );
  };
  return (
    <FormModal title="Add an SSO provider" opened={opened} onClose={onClose} onSubmit={submit} submitLabel="Add provider" busy={create.isPending} size="lg">
      <TextInput name="name" label="Name" required data-autofocus description="Shown on the sign-in button." />
      <Select label="Kind" data={[{ value: 'generic-oidc', label: 'OpenID Connect' }, { value: 'google', label: 'Google' }, { value: 'github', label: 'GitHub' }]} value={kind} onChange={(v) => setKind((v as Kind) ?? 'generic-oidc')} allowDeselect={false} />
      <TextInput name="issuer_url" label="Issuer URL" type="url" required placeholder="https://idp.example.com/realms/main" />
      <TextInput name="client_id" label="Client id" required />
      <PasswordInput name="client_secret" label="Client secret" autoComplete="off" />
      <TextInput name="default_role" label="Default role" description="The role of users no mapping names; leave empty to refuse them." />
      <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormModal>
  );
}

type Settings = Awaited<ReturnType<typeof fetchSettings>>;
const fetchSettings = () => data(v1.GET('/api/v1/auth/settings'));

/** Password length, lockout and token lifetimes, editable at run time. */
function AuthSettingsCard() {
  const can = useCan();
  const settings = useQuery({ queryKey: ['identity', 'auth-settings'], queryFn: fetchSettings });
  return (
    <Card withBorder component="section" aria-labelledby="auth-settings-title">
      <Title order={2} size="h4" id="auth-settings-title" mb="sm">Sign-in rules</Title>
      {settings.isPending ? <PageLoading /> : settings.isError ? <PageError error={settings.error} retry={() => settings.refetch()} /> : <SettingsForm initial={settings.data} writable={can('settings:write')} />}
    </Card>
  );
}

function SettingsForm({ initial, writable }: { initial: Settings; writable: boolean }) {
  const [values, setValues] = useState(initial);
  const save = useAction((body: Partial<Settings>) => v1.PUT('/api/v1/auth/settings', { body }), 'Sign-in rules saved.', ['identity', 'auth-settings']);
  const number = (key: keyof Settings, label: string, description?: string) => (
    <NumberInput label={label} description={description} value={values[key] as number} min={0} disabled={!writable} onChange={(v) => setValues({ ...values, [key]: Number(v) })} />
  );
  return (
    <form onSubmit={(e) => { e.preventDefault(); save.mutate(values); }}>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          {number('password_min_length', 'Minimum password length')}
          {number('lockout_threshold', 'Failures before a wait', '0 turns lockout off')}
          {number('lockout_minutes', 'Longest wait (minutes)')}
          {number('access_token_ttl_s', 'Access token lifetime (s)')}
          {number('refresh_token_ttl_s', 'Refresh token lifetime (s)')}
          {number('session_ttl_s', 'Session lifetime (s)')}
        </SimpleGrid>
        <Switch label="Anyone may register an account" checked={values.registration_enabled} disabled={!writable} onChange={(e) => setValues({ ...values, registration_enabled: e.currentTarget.checked })} />
        {writable && <Group><Button type="submit" loading={save.isPending}>Save rules</Button></Group>}
      </Stack>
    </form>
  );
}
