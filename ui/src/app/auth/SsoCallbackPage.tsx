import { Center, Container } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { v1 } from '../api/client';
import { PageError, PageLoading } from '../../shared/components/states';
import { useSessionChanged } from './session';

/**
 * Where the overlay's OIDC sign-in ends (/auth/callback?token=...): the token becomes a session cookie at once
 * and leaves the address bar, so it is never kept by the page or its history.
 */
export function SsoCallbackPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const sessionChanged = useSessionChanged();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const token = params.get('token');
    window.history.replaceState(null, '', '/auth/callback');
    if (!token) return setError(new Error('The sign-in did not return a token. Start again from the sign-in page.'));
    v1.POST('/api/v1/auth/token-login', { body: { token } })
      .then(sessionChanged)
      .then(() => navigate('/', { replace: true }))
      .catch(setError);
  }, []);
  return (
    <Container size="sm" py="xl" component="main">
      {error ? <PageError error={error} /> : <Center><PageLoading label="Signing you in" /></Center>}
    </Container>
  );
}
