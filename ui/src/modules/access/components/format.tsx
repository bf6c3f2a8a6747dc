import { Badge, Code, Text, Tooltip } from '@mantine/core';

const COLORS: Record<string, string> = {
  active: 'teal', online: 'teal', compliant: 'teal', stable: 'blue', healthy: 'teal', allow: 'teal', consistent: 'teal',
  pending: 'blue', canary: 'grape', draft: 'gray', degraded: 'yellow', exhausted: 'gray',
  suspended: 'orange', noncompliant: 'red', offline: 'red', unhealthy: 'red', deny: 'red', revoked_but_connected: 'red', ghost_session: 'orange',
  revoked: 'gray', expired: 'gray', closed: 'gray', retired: 'gray', superseded: 'gray', rolled_back: 'gray', unknown: 'gray',
};

/** A status, channel or verdict as a coloured badge (the word carries the meaning; the colour is a hint). */
export function StatusBadge({ value }: { value: string | null | undefined }) {
  const v = value ?? 'unknown';
  return (
    <Badge color={COLORS[v] ?? 'gray'} variant="light" style={{ flexShrink: 0, overflow: 'visible' }}>
      {v.replace(/_/g, ' ')}
    </Badge>
  );
}

/** A digest shortened for a table ("sha256:1a2b3c4d…"), the whole of it on hover and for screen readers. */
export function Digest({ value }: { value: string | null | undefined }) {
  if (!value) return <Text size="sm" c="dimmed">—</Text>;
  const short = value.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…');
  return (
    <Tooltip label={value} withArrow>
      <Code aria-label={value}>{short}</Code>
    </Tooltip>
  );
}

/** Bytes as people read them. */
export function formatBytes(n: number | null | undefined): string {
  if (n == null) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export const OPTIONS = {
  deviceStatus: ['pending', 'active', 'suspended', 'revoked'],
  channel: ['stable', 'canary'],
  verdict: ['compliant', 'noncompliant', 'unknown'],
  platform: ['linux', 'windows', 'macos', 'ios', 'android'],
  tokenStatus: ['active', 'exhausted', 'expired', 'revoked'],
  tokenKind: ['device', 'gateway'],
  sessionState: ['active', 'closed'],
  bundleStatus: ['canary', 'stable', 'superseded', 'rolled_back'],
} as const;
