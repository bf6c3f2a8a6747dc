import { Alert, Anchor, Badge, Button, Center, Group, List, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Navigate, useParams } from 'react-router';
import { data, overlay } from '../../../app/api/client';
import { useMe } from '../../../app/auth/session';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { OVERLAY } from '../api';

const RIGHTS = { can_manage_nodes: 'manage its nodes', can_invite_users: 'invite others', can_manage_firewall: 'manage its firewall' } as const;

/**
 * The link an invitation mail carries: anyone may open it and see what it offers; accepting needs a signed-in
 * user (whose address, when they have one, must be the invited one: the server checks).
 */
export function InvitationPage() {
  const { token = '' } = useParams();
  const me = useMe();
  const here = `/invitations/${encodeURIComponent(token)}`;
  const invitation = useQuery({
    // Outside the overlay's key: accepting refreshes the overlay lists, and this link then answers 400 (accepted).
    queryKey: ['public-invitation', token],
    queryFn: () => data(overlay.GET('/api/invitations/public/{token}', { params: { path: { token } } })),
    retry: false,
  });
  const client = useQueryClient();
  const accept = useMutation({
    mutationFn: () => data(overlay.POST('/api/invitations/{token}/accept', { params: { path: { token } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: OVERLAY }),
  });

  if (me.data?.must_change_password) return <Navigate to={`/change-password?next=${encodeURIComponent(here)}`} replace />;
  let body;
  if (invitation.isPending || me.isPending) body = <PageLoading label="Loading the invitation" />;
  else if (invitation.isError) body = <PageError error={invitation.error} />;
  else {
    const inv = invitation.data;
    const rights = (Object.keys(RIGHTS) as (keyof typeof RIGHTS)[]).filter((r) => inv[r]).map((r) => RIGHTS[r]);
    body = (
      <Stack>
        <Text>
          {inv.invited_by_name ?? inv.invited_by_email ?? 'Someone'} invites <b>{inv.email}</b> to the network <b>{inv.network_name}</b> as{' '}
          <Badge variant="light">{inv.role}</Badge>.
        </Text>
        {rights.length > 0 && (
          <div>
            <Text size="sm">You may also:</Text>
            <List size="sm">{rights.map((r) => <List.Item key={r}>{r}</List.Item>)}</List>
          </div>
        )}
        <Text size="sm" c="dimmed">Valid until {formatTime(inv.expires_at)}.</Text>
        {accept.isSuccess ? (
          <Alert color="teal" role="status" title="You are a member">
            <Anchor component={Link} to={`/overlay/networks/${accept.data.network_id}`}>Open {inv.network_name}</Anchor>
          </Alert>
        ) : inv.status !== 'pending' ? (
          <Alert color="orange" role="status">This invitation is {inv.status}; ask for a new one.</Alert>
        ) : me.data ? (
          <>
            {accept.isError && <Alert color="red" role="alert" title="Not accepted">{accept.error.message}</Alert>}
            <Text size="sm">You are signed in as <b>{me.data.username}</b>.</Text>
            <Group>
              <Button loading={accept.isPending} onClick={() => accept.mutate()}>Accept the invitation</Button>
            </Group>
          </>
        ) : (
          <Group>
            <Button component={Link} to={`/login?next=${encodeURIComponent(here)}`}>Sign in to accept</Button>
          </Group>
        )}
      </Stack>
    );
  }
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={520}>
        <Stack>
          <Title order={1} size="h2">Invitation to a network</Title>
          {body}
        </Stack>
      </Paper>
    </Center>
  );
}
