import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { v1 } from '../api/client';
import { localNext } from './LoginPage';
import { useMe, useSessionChanged } from './session';

/** The first sign-in of the bootstrap administrator (and anyone an admin reset) picks a password of their own. */
export function ChangePasswordPage() {
  const me = useMe().data;
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const sessionChanged = useSessionChanged();
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: (body: { current_password: string; new_password: string }) => v1.POST('/api/v1/auth/password:change', { body }),
    onSuccess: async () => {
      sessionChanged();
      navigate(localNext(params.get('next')), { replace: true });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = String(form.get('new_password'));
    setMismatch(next !== String(form.get('confirm')));
    if (next === String(form.get('confirm'))) change.mutate({ current_password: String(form.get('current_password')), new_password: next });
  };
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420}>
        <form onSubmit={submit}>
          <Stack>
            <Title order={1} size="h2">
              Choose a new password
            </Title>
            {me?.must_change_password && <Text size="sm">This account still has the password it was given. Pick one of your own to continue.</Text>}
            {change.error && (
              <Alert color="red" role="alert">
                {change.error.message}
              </Alert>
            )}
            <PasswordInput name="current_password" label="Current password" autoComplete="current-password" required />
            <PasswordInput name="new_password" label="New password" autoComplete="new-password" required minLength={12} description="At least 12 characters." />
            <PasswordInput name="confirm" label="Repeat the new password" autoComplete="new-password" required error={mismatch ? 'The passwords differ' : undefined} />
            <Button type="submit" loading={change.isPending}>
              Change password
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
