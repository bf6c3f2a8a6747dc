import { Anchor, Badge, Button, Card, Group, Select, Stack, Switch, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useCan } from '../../../app/auth/session';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { settingsCalls, useEgressAction, usePerformanceMode, useThreatIntel, useTlsCa } from '../api';

type Threshold = 'low' | 'medium' | 'high' | 'critical';

/** The gateway's runtime settings: performance mode, the TLS-intercept CA and threat intelligence. */
export function SettingsPage() {
  const can = useCan();
  const writable = can('egress_settings:write');
  return (
    <>
      <PageHeader title="Egress settings" description="How the gateway runs: what it records, the CA it intercepts TLS with, and the threat feeds it checks." />
      <Stack>
        <PerformanceMode writable={writable} />
        <TlsCa writable={writable} />
        <ThreatIntel writable={writable} />
      </Stack>
    </>
  );
}

function Section({ title, query, children }: { title: string; query: { error: unknown; isPending: boolean; refetch: () => unknown }; children: () => ReactNode }) {
  return (
    <Card withBorder component="section" aria-label={title}>
      <Title order={2} size="h4" mb="sm">{title}</Title>
      {query.error ? <PageError error={query.error} retry={() => query.refetch()} /> : query.isPending ? <PageLoading label={`Loading ${title.toLowerCase()}`} /> : children()}
    </Card>
  );
}

function PerformanceMode({ writable }: { writable: boolean }) {
  const mode = usePerformanceMode();
  const set = useEgressAction(settingsCalls.performanceMode, 'Performance mode saved.');
  return (
    <Section title="Performance mode" query={mode}>
      {() => (
        <Switch
          label="Record findings and stream the wiretap"
          description="Off: the gateway only enforces; findings and the wiretap answer 503."
          checked={mode.data!.enabled}
          disabled={!writable || set.isPending}
          onChange={(e) => set.mutate(e.currentTarget.checked)}
        />
      )}
    </Section>
  );
}

function TlsCa({ writable }: { writable: boolean }) {
  const ca = useTlsCa();
  const generate = useEgressAction(settingsCalls.generateCa, 'A new TLS-intercept CA is in place; clients must trust its certificate.');
  const remove = useEgressAction(settingsCalls.removeCa, 'The TLS-intercept CA is removed.');
  return (
    <Section title="TLS-intercept CA" query={ca}>
      {() => (
        <Stack gap="xs">
          <Group gap="xs">
            <Badge color={ca.data!.configured ? 'teal' : 'gray'}>{ca.data!.configured ? 'configured' : 'none'}</Badge>
            {ca.data!.fingerprint_sha256 && <Text size="sm">SHA-256 <code>{ca.data!.fingerprint_sha256}</code></Text>}
          </Group>
          <Text size="sm" c="dimmed">Rules with tls.mode intercept need it. The key is sealed at rest and never shown.</Text>
          <Group gap="xs">
            {ca.data!.configured && <Anchor href="/api/v1/settings/tls-intercept-ca/cert" download size="sm">Download the certificate</Anchor>}
            {writable && <Button size="xs" variant="light" loading={generate.isPending} onClick={() => window.confirm('Generate a new CA? It replaces the current one.') && generate.mutate(undefined)}>Generate a new CA</Button>}
            {writable && ca.data!.configured && <Button size="xs" variant="subtle" color="red" loading={remove.isPending} onClick={() => window.confirm('Remove the TLS-intercept CA?') && remove.mutate(undefined)}>Remove</Button>}
          </Group>
        </Stack>
      )}
    </Section>
  );
}

function ThreatIntel({ writable }: { writable: boolean }) {
  const intel = useThreatIntel();
  const save = useEgressAction(settingsCalls.threatIntel, 'Threat intelligence settings saved.');
  return (
    <Section title="Threat intelligence" query={intel}>
      {() => (
        <Stack gap="sm">
          <Switch label="Match traffic against threat feeds" checked={intel.data!.enabled} disabled={!writable || save.isPending} onChange={(e) => save.mutate({ enabled: e.currentTarget.checked })} />
          <Select
            label="Alert threshold"
            data={['low', 'medium', 'high', 'critical']}
            value={intel.data!.alert_threshold}
            onChange={(v) => v && save.mutate({ alert_threshold: v as Threshold })}
            disabled={!writable || save.isPending}
            allowDeselect={false}
            maw={240}
          />
          <Text size="sm" c="dimmed">
            Feeds:{' '}
            {Object.entries(intel.data!.baseline_feeds)
              .map(([name, feed]) => `${name} ${feed.enabled ? `every ${Math.round(feed.refresh_interval_secs / 60)} min` : 'off'}`)
              .join(', ')}
          </Text>
        </Stack>
      )}
    </Section>
  );
}
