import { Alert, Anchor, Badge, Button, Card, Code, Group, List, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { QRCodeSVG } from 'qrcode.react';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { data, v1 } from '../../../app/api/client';
import { ME_KEY, useMe } from '../../../app/auth/session';
import { CopyButton } from '../../../shared/components/CopyButton';
import { DataTable, pageQuery, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { useAction } from '../api';

const MY_SESSIONS = ['identity', 'my-sessions'] as const;

/** The caller's own account: who they are, their second factor, and where they are signed in. */
export function ProfilePage() {
  const me = useMe().data!;
  return (
    <>
      <PageHeader title="My profile" description="Your account, your second factor and your sessions." />
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder component="section" aria-labelledby="account-title">
            <Title order={2} size="h4" id="account-title" mb="sm">Account</Title>
            <Stack gap={4}>
              <Text size="sm">Username: <b>{me.username}</b></Text>
              <Text size="sm">Email: {me.email ?? '—'}</Text>
              <Group gap={4}>
                <Text size="sm">Roles:</Text>
                {me.roles.map((r) => <Badge key={r} variant="light">{r}</Badge>)}
              </Group>
              <Anchor component={Link} to="/change-password" size="sm" mt="xs">Change my password</Anchor>
            </Stack>
          </Card>
          {me.type === 'user' && <MfaCard />}
        </SimpleGrid>
        <MySessions />
      </Stack>
    </>
  );
}

/** TOTP enrolment with a QR code and the secret, then the recovery codes, once; or turning it off with a code. */
function MfaCard() {
  const me = useMe().data!;
  const [enrolment, setEnrolment] = useState<{ provisioning_uri: string; secret: string } | null>(null);
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const enrol = useAction(async () => setEnrolment((await v1.POST('/api/v1/auth/totp/setup')).data ?? null), 'Scan the code, then enter the first code it shows.', ME_KEY);
  const verify = useAction(async (code: string) => {
    setRecovery((await v1.POST('/api/v1/auth/totp/verify', { body: { code } })).data?.recovery_codes ?? null);
    setEnrolment(null);
  }, 'Two-factor sign-in is on.', ME_KEY);
  const disable = useAction((code: string) => v1.POST('/api/v1/auth/totp/disable', { body: { code } }), 'Two-factor sign-in is off.', ME_KEY);
  const enabled = me.mfa_enabled;
  const submitCode = (run: (code: string) => void) => (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    run(String(new FormData(e.currentTarget).get('code')).trim());
  };

  return (
    <Card withBorder component="section" aria-labelledby="mfa-title">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id="mfa-title">Two-factor sign-in</Title>
        {<Badge color={enabled ? 'teal' : 'gray'}>{enabled ? 'on' : 'off'}</Badge>}
      </Group>
      {recovery && (
        <Alert color="yellow" title="Your recovery codes" mb="sm">
          <Text size="sm" mb="xs">Each works once, in place of a code. Keep them somewhere safe: they are not shown again.</Text>
          <Group align="flex-start" wrap="nowrap">
            <Code block data-testid="recovery-codes" style={{ flex: 1 }}>{recovery.join('\n')}</Code>
            <CopyButton value={recovery.join('\n')} label="Copy the recovery codes" />
          </Group>
        </Alert>
      )}
      {enrolment ? (
        <Stack>
          <Text size="sm">Scan this with an authenticator app, or type the secret in.</Text>
          <Group align="flex-start">
            <div style={{ background: 'white', padding: 8, lineHeight: 0 }}>
              <QRCodeSVG value={enrolment.provisioning_uri} size={168} title="QR code of the authenticator secret" />
            </div>
            <Stack gap={4}>
              <Text size="sm" fw={500}>Secret</Text>
              <Group gap={4}>
                <Code data-testid="totp-secret">{enrolment.secret}</Code>
                <CopyButton value={enrolment.secret} label="Copy the secret" />
              </Group>
            </Stack>
          </Group>
          <form onSubmit={submitCode((c) => verify.mutate(c))}>
            <Group align="flex-end">
              <TextInput name="code" label="Code from the app" inputMode="numeric" autoComplete="one-time-code" required />
              <Button type="submit" loading={verify.isPending}>Turn on</Button>
            </Group>
          </form>
        </Stack>
      ) : enabled ? (
        <form onSubmit={submitCode((c) => disable.mutate(c))}>
          <Group align="flex-end">
            <TextInput name="code" label="Current code or a recovery code" autoComplete="one-time-code" required />
            <Button type="submit" color="red" variant="light" loading={disable.isPending}>Turn off</Button>
          </Group>
        </form>
      ) : (
        <Stack>
          <Text size="sm">Ask for a code from an authenticator app at every sign-in, beside your password.</Text>
          <List size="sm">
            <List.Item>Works with any TOTP app (RFC 6238).</List.Item>
            <List.Item>You get ten recovery codes for when the phone is away.</List.Item>
          </List>
          <Group>
            <Button onClick={() => enrol.mutate(undefined)} loading={enrol.isPending}>Set up two-factor sign-in</Button>
          </Group>
        </Stack>
      )}
    </Card>
  );
}

type Session = Awaited<ReturnType<typeof listSessions>>['items'][number];
const listSessions = (page: number) => data(v1.GET('/api/v1/auth/sessions', { params: { query: pageQuery(page) } }));

function MySessions() {
  const [page, setPage] = useState(1);
  const sessions = useQuery({ queryKey: [...MY_SESSIONS, page], queryFn: () => listSessions(page), placeholderData: (p) => p });
  const revoke = useAction((id: string) => v1.DELETE('/api/v1/auth/sessions/{id}', { params: { path: { id } } }), 'The session is ended.', [...MY_SESSIONS]);
  const columns: Column<Session>[] = [
    { key: 'method', header: 'Signed in with', render: (s) => s.auth_method },
    { key: 'created', header: 'Since', render: (s) => formatTime(s.created_at) },
    { key: 'seen', header: 'Last seen', render: (s) => formatTime(s.last_seen_at) },
    { key: 'client', header: 'From', render: (s) => `${s.client_ip ?? '—'} ${s.user_agent ? `· ${s.user_agent.slice(0, 40)}` : ''}` },
    { key: 'end', header: 'End', render: (s) => (s.current ? <Badge>this one</Badge> : <Button size="compact-sm" variant="subtle" color="red" onClick={() => revoke.mutate(s.id)}>End session</Button>) },
  ];
  return (
    <Card withBorder component="section" aria-labelledby="sessions-title">
      <Title order={2} size="h4" id="sessions-title" mb="sm">Where you are signed in</Title>
      <DataTable label="Sessions" columns={columns} rows={sessions.data?.items} rowKey={(s) => s.id} total={sessions.data?.total} page={page} onPage={setPage} loading={sessions.isPending} error={sessions.error} retry={() => sessions.refetch()} />
    </Card>
  );
}

