import { Button, Group, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useSearchParams } from 'react-router';

/**
 * Cursor paging (the access lists answer next_cursor): the cursors of the pages seen so far, so Previous goes back
 * without the server keeping state. A filter change starts again at the first page.
 */
export function useCursor() {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length,
    next: (c: string) => setStack((s) => [...s, c]),
    prev: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: useCallback(() => setStack([undefined]), []),
  };
}

export function CursorPager({ label, page, next, onNext, onPrev, total }: { label: string; page: number; next?: string | null; onNext: (c: string) => void; onPrev: () => void; total?: number }) {
  if (page === 1 && !next) return total !== undefined && total > 0 ? <Text size="sm" c="dimmed">{total} in all</Text> : null;
  return (
    <Group justify="space-between" aria-label={`${label} pages`} role="navigation">
      <Text size="sm" c="dimmed">
        Page {page}
        {total !== undefined ? ` · ${total} in all` : ''}
      </Text>
      <Group gap="xs">
        <Button size="xs" variant="default" disabled={page === 1} onClick={onPrev}>Previous page</Button>
        <Button size="xs" variant="default" disabled={!next} onClick={() => next && onNext(next)}>Next page</Button>
      </Group>
    </Group>
  );
}

/** Filters kept in the address (a view can be shared and survives a reload); empty means "all". */
export function useUrlFilters<K extends string>(names: readonly K[], onChange?: () => void) {
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(names.map((n) => [n, params.get(n) || undefined])) as Record<K, string | undefined>;
  const set = (name: K, value: string | null | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
    onChange?.();
  };
  return { filters, set };
}
