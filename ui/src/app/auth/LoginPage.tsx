import { Alert, Anchor, Button, Center, Divider, Paper, PasswordInput, PinInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { data, v1 } from '../api/client';
import { ApiError } from '../api/errors';
import { useSessionChanged } from './session';

/** Only a path on this site may be where sign-in returns to (no open redirect through ?next=). */
export function localNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\') ? next : '/';
}

/** Username and password, then the TOTP code when the account has one; or one of the configured SSO providers. */
export function LoginPage() {
  const [params] = useSearchParams();
  const next = localNext(params.get('next'));
  const navigate = useNavigate();
  const sessionChanged = useSessionChanged();
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const signedIn = async () => {
    sessionChanged();
    navigate(next, { replace: true });
  };
  const attempt = async (call: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      await signedIn();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'mfa_required' && typeof err.details?.mfa_token === 'string') {
        setMfaToken(err.details.mfa_token);
      } else setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={400}>
        <Stack>
          <Title order={1} size="h2">
            Sign in to Rampart
          </Title>
          {error && (
            <Alert color="red" icon={<IconAlertTriangle aria-hidden />} role="alert">
              {error}
            </Alert>
          )}
          {mfaToken ? (
            <TotpStep busy={busy} onCode={(code) => attempt(() => v1.POST('/api/v1/auth/totp/login', { body: { mfa_token: mfaToken, code } }))} onBack={() => setMfaToken(null)} />
          ) : (
            <PasswordStep busy={busy} onSubmit={(body) => attempt(() => v1.POST('/api/v1/auth/login', { body }))} />
          )}
          <SsoButtons next={next} />
        </Stack>
      </Paper>
    </Center>
  );
}

function messageOf(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Rampart could not be reached. Check the connection and try again.';
  if (err.status === 401) return 'Wrong username, password or code.';
  if (err.status === 429) return 'Too many attempts. Wait a moment, then try again.';
  return err.message;
}

function PasswordStep({ busy, onSubmit }: { busy: boolean; onSubmit: (body: { username: string; password: string }) => void }) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    onSubmit({ username: String(form.get('username')), password: String(form.get('password')) });
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <TextInput name="username" label="Username" autoComplete="username" required autoFocus />
        <PasswordInput name="password" label="Password" autoComplete="current-password" required />
        <Button type="submit" loading={busy} fullWidth>
          Sign in
        </Button>
      </Stack>
    </form>
  );
}

function TotpStep({ busy, onCode, onBack }: { busy: boolean; onCode: (code: string) => void; onBack: () => void }) {
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onCode(code.trim());
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <Text size="sm">{recovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code from your authenticator app.'}</Text>
        {recovery ? (
          <TextInput label="Recovery code" value={code} onChange={(e) => setCode(e.currentTarget.value)} autoComplete="off" required autoFocus />
        ) : (
          <div>
            <Text component="label" htmlFor="totp-code" size="sm" fw={500}>
              Authentication code
            </Text>
            <PinInput id="totp-code" length={6} type="number" oneTimeCode autoFocus value={code} onChange={setCode} onComplete={onCode} aria-label="Authentication code" mt={4} />
          </div>
        )}
        <Button type="submit" loading={busy} fullWidth disabled={code.trim().length < 6}>
          Verify
        </Button>
        <Anchor component="button" type="button" size="sm" onClick={() => { setCode(''); setRecovery(!recovery); }}>
          {recovery ? 'Use the authenticator app' : 'Use a recovery code'}
        </Anchor>
        <Anchor component="button" type="button" size="sm" onClick={onBack}>
          Back
        </Anchor>
      </Stack>
    </form>
  );
}

/** The enabled SSO providers, in the order the administrator set. */
function SsoButtons({ next }: { next: string }) {
  const providers = useQuery({ queryKey: ['auth', 'sso-providers'], queryFn: () => data(v1.GET('/api/v1/auth/sso/providers')) });
  if (!providers.data?.length) return null;
  return (
    <>
      <Divider label="or" labelPosition="center" />
      {providers.data.map((p) => (
        <Button key={p.id} component="a" variant="default" href={`/api/v1/auth/sso/${encodeURIComponent(p.id)}/start?return_to=${encodeURIComponent(next)}`}>
          Continue with {p.name}
        </Button>
      ))}
    </>
  );
}
