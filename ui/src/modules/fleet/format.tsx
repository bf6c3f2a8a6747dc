import { Badge, Text } from '@mantine/core';
import type { ReactNode } from 'react';

const COLORS: Record<string, string> = {
  online: 'teal', reachable: 'teal', pass: 'teal', completed: 'teal', approved: 'teal', resolved: 'teal', executed: 'teal', active: 'teal', compliant: 'teal',
  degraded: 'yellow', queued: 'blue', running: 'blue', requested: 'blue', pending_approval: 'blue', acknowledged: 'blue', executing: 'blue', grace: 'yellow',
  critical: 'red', down: 'red', unreachable: 'red', fail: 'red', failed: 'red', rejected: 'red', high: 'orange', medium: 'yellow', low: 'gray', info: 'gray',
  maintenance: 'violet', silenced: 'violet', dismissed: 'gray', revoked: 'gray', expired: 'gray', rolled_back: 'gray', skipped: 'gray', error: 'orange', unknown: 'gray',
};

/** A state, status or severity as a coloured badge (the colour is a hint; the word carries the meaning). */
export function StateBadge({ value }: { value: string | null | undefined }) {
  const v = value ?? 'unknown';
  return (
    <Badge color={COLORS[v] ?? 'gray'} variant="light">
      {v.replace(/_/g, ' ')}
    </Badge>
  );
}

/** A 0..1 fraction or a 0..100 score as a percentage. */
export const percent = (value: number | null | undefined, fraction = false) => (value == null ? '—' : `${Math.round(fraction ? value * 100 : value)}%`);

/** A host's name as people know it. */
export const hostLabel = (h: { display_name?: string | null; hostname: string }) => h.display_name || h.hostname;

/** What a host has not had yet (a probe, a scan, a discovery), said in words rather than as a state. */
export const NotYet = ({ children }: { children: ReactNode }) => (
  <Text size="sm" c="dimmed">
    {children}
  </Text>
);
