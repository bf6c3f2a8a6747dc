import { Container } from '@mantine/core';
import { useRouteError } from 'react-router';
import { PageError } from '../../shared/components/states';

/** A page that threw while rendering or loading (an old tab after an upgrade, a bug): say so, offer a reload. */
export function RouteError() {
  const error = useRouteError();
  return (
    <Container size="sm" py="xl">
      <PageError error={error} retry={() => window.location.reload()} />
    </Container>
  );
}
