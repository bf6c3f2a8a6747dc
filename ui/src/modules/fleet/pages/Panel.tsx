import { Card, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { EmptyState, PageError, PageLoading } from '../../../shared/components/states';

interface Loadable {
  error: unknown;
  isPending: boolean;
  refetch: () => unknown;
}

/**
 * A titled card around one query: its loading and error states, its empty state when `empty` says so, else what
 * `children` renders from the loaded data.
 */
export function Panel({ title, query, empty, children }: { title: string; query: Loadable; empty?: string | false; children: () => ReactNode }) {
  return (
    <Card withBorder component="section" aria-label={title}>
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {query.error ? (
        <PageError error={query.error} retry={() => query.refetch()} />
      ) : query.isPending ? (
        <PageLoading label={`Loading ${title.toLowerCase()}`} />
      ) : empty ? (
        <EmptyState title={empty} />
      ) : (
        children()
      )}
    </Card>
  );
}
