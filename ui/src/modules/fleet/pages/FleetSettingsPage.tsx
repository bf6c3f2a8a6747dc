import { Button, Card, Group, NumberInput, SimpleGrid, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import type { FormEvent, ReactNode } from 'react';
import { useCan } from '../../../app/auth/session';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { configCalls, discoverySweep, useConfig, useFleetAction } from '../api';

interface NumberField {
  key: string;
  label: string;
  min: number;
  max: number;
  unit?: string;
}
interface Section {
  name: 'connectivity' | 'intelligence' | 'discovery' | 'scan';
  title: string;
  description: string;
  numbers: NumberField[];
  switches: { key: string; label: string }[];
}

// The bounds the server checks (src/modules/fleet/config/system-config.ts); shown here so a form says them up front.
const band = (key: string, label: string): NumberField => ({ key, label, min: 60, max: 86_400, unit: 's' });
const scanBand = (key: string, label: string): NumberField => ({ key, label, min: 5, max: 2_880, unit: 'min' });
const SECTIONS: Section[] = [
  {
    name: 'connectivity',
    title: 'Connectivity',
    description: 'Liveness probe intervals per monitoring state, and how probes run.',
    numbers: [band('online_sec', 'Online interval'), band('degraded_sec', 'Degraded interval'), band('critical_sec', 'Critical interval'), band('down_sec', 'Down interval'), band('maintenance_sec', 'Maintenance interval'), { key: 'timeout_sec', label: 'Probe timeout', min: 1, max: 30, unit: 's' }, { key: 'unreachable_threshold', label: 'Failures before unreachable', min: 1, max: 10 }, { key: 'rate_limit', label: 'Probes at once', min: 1, max: 200 }],
    switches: [{ key: 'maintenance_global', label: 'Pause probing (global maintenance)' }],
  },
  {
    name: 'scan',
    title: 'Scan schedule',
    description: 'Rescan interval per compliance band; out-of-range values are clamped.',
    numbers: [scanBand('critical_mins', 'Critical'), scanBand('non_compliant_mins', 'Non-compliant'), scanBand('partial_mins', 'Partial'), scanBand('mostly_compliant_mins', 'Mostly compliant'), scanBand('compliant_mins', 'Compliant'), scanBand('unknown_mins', 'Never scanned'), { key: 'rate_limit', label: 'Scans at once', min: 1, max: 100 }],
    switches: [{ key: 'enabled', label: 'Scheduled scans' }, { key: 'maintenance_global', label: 'Pause scheduled scans (global maintenance)' }],
  },
  {
    name: 'intelligence',
    title: 'Intelligence',
    description: 'How often host intelligence (packages, services, users) is collected.',
    numbers: [{ key: 'interval_sec', label: 'Interval', min: 300, max: 86_400, unit: 's' }, { key: 'rate_limit', label: 'Hosts at once', min: 1, max: 200 }],
    switches: [{ key: 'maintenance_global', label: 'Pause collection (global maintenance)' }],
  },
  {
    name: 'discovery',
    title: 'Discovery',
    description: 'How often OS facts are rediscovered.',
    numbers: [{ key: 'interval_sec', label: 'Interval', min: 3_600, max: 604_800, unit: 's' }, { key: 'rate_limit', label: 'Hosts at once', min: 1, max: 500 }],
    switches: [{ key: 'detect_on_first_contact', label: 'Discover on first contact' }, { key: 'maintenance_global', label: 'Pause discovery (global maintenance)' }],
  },
];

/** The fleet's system configs, each a form with its bounds and its defaults. */
export function FleetSettingsPage() {
  const writable = useCan()('system:config_write');
  return (
    <>
      <PageHeader title="Fleet settings" description="Probing, scanning, discovery and compliance settings for every host." />
      <Stack>
        {SECTIONS.map((s) => <ConfigForm key={s.name} section={s} writable={writable} />)}
        <ComplianceForm writable={writable} />
      </Stack>
    </>
  );
}

function Frame({ title, description, query, children }: { title: string; description: string; query: { error: unknown; isPending: boolean; refetch: () => unknown }; children: () => ReactNode }) {
  return (
    <Card withBorder component="section" aria-label={title}>
      <Title order={2} size="h4">{title}</Title>
      <Text size="sm" c="dimmed" mb="sm">{description}</Text>
      {query.error ? <PageError error={query.error} retry={() => query.refetch()} /> : query.isPending ? <PageLoading label={`Loading ${title.toLowerCase()}`} /> : children()}
    </Card>
  );
}

function ConfigForm({ section, writable }: { section: Section; writable: boolean }) {
  const query = useConfig[section.name]();
  const save = useFleetAction((body: Record<string, number | boolean>): Promise<unknown> => configCalls[section.name](body as never), `${section.title} settings saved.`);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const body: Record<string, number | boolean> = {};
    for (const f of section.numbers) body[f.key] = Number(String(form.get(f.key)).replace(/[^\d.-]/g, ''));
    for (const s of section.switches) body[s.key] = form.get(s.key) === 'on';
    save.mutate(body);
  };
  return (
    <Frame title={section.title} description={section.description} query={query}>
      {() => {
        const { config, defaults } = query.data! as { config: Record<string, unknown>; defaults: Record<string, unknown> };
        return (
          <form onSubmit={submit} aria-label={`${section.title} settings`}>
            <Stack>
              <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
                {section.numbers.map((f) => (
                  <NumberInput key={f.key} name={f.key} label={`${f.label}${f.unit ? ` (${f.unit})` : ''}`} description={`${f.min}–${f.max}; default ${defaults[f.key]}`} min={f.min} max={f.max} clampBehavior="none" allowDecimal={false} defaultValue={Number(config[f.key])} disabled={!writable} />
                ))}
              </SimpleGrid>
              {section.switches.map((s) => <Switch key={s.key} name={s.key} label={s.label} defaultChecked={Boolean(config[s.key])} disabled={!writable} />)}
              {writable && (
                <Group>
                  <Button type="submit" loading={save.isPending}>{`Save ${section.title.toLowerCase()}`}</Button>
                  {section.name === 'discovery' && <SweepButton />}
                </Group>
              )}
            </Stack>
          </form>
        );
      }}
    </Frame>
  );
}

/** OS facts of every host now, rather than at the next interval (scans need them to know which rules apply). */
function SweepButton() {
  const sweep = useFleetAction(discoverySweep, (r) => `Discovery queued for ${r.enqueued} host${r.enqueued === 1 ? '' : 's'}.`);
  return (
    <Button variant="default" loading={sweep.isPending} onClick={() => sweep.mutate(undefined)}>
      Discover every host now
    </Button>
  );
}

function ComplianceForm({ writable }: { writable: boolean }) {
  const query = useConfig.compliance();
  const save = useFleetAction(configCalls.compliance, 'Compliance settings saved.');
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const enabled = String(form.get('enabled_frameworks') ?? '').split(',').map((f) => f.trim()).filter(Boolean);
    save.mutate({ default_framework: String(form.get('default_framework') ?? '').trim(), enabled_frameworks: enabled });
  };
  return (
    <Frame title="Compliance" description="Which frameworks hosts are graded against; empty grades against every rule." query={query}>
      {() => (
        <form onSubmit={submit} aria-label="Compliance settings">
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput name="default_framework" label="Default framework" description="A framework key, or empty for all rules." defaultValue={query.data!.config.default_framework} disabled={!writable} />
              <TextInput name="enabled_frameworks" label="Enabled frameworks" description="Comma-separated keys, up to 32." defaultValue={query.data!.config.enabled_frameworks.join(', ')} disabled={!writable} />
            </SimpleGrid>
            {writable && <Group><Button type="submit" loading={save.isPending}>Save compliance</Button></Group>}
          </Stack>
        </form>
      )}
    </Frame>
  );
}
