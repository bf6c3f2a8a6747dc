import { Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';
import { PageHeader } from '../../shared/components/PageHeader';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Text>
        Nothing lives at this address. <Anchor component={Link} to="/">Go to the dashboard</Anchor>.
      </Text>
    </>
  );
}
