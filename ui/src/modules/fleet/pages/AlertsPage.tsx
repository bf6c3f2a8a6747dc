import { Button, Group, Select, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { alertCall, useAlerts, useFleetAction, type Alert, type AlertFilters } from '../api';
import { StateBadge } from '../format';

const STATES: NonNullable<AlertFilters['state']>[] = ['active', 'acknowledged', 'silenced', 'resolved', 'dismissed'];
const SEVERITIES: NonNullable<AlertFilters['severity']>[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Which actions the alert state machine allows from each state. */
const ALLOWED: Record<Alert['state'], ('acknowledge' | 'silence' | 'resolve' | 'dismiss')[]> = {
  active: ['acknowledge', 'silence', 'resolve', 'dismiss'],
  acknowledged: ['silence', 'resolve', 'dismiss'],
  silenced: ['resolve', 'dismiss'],
  resolved: ['dismiss'],
  dismissed: [],
};

/** Alert triage: filter by state and severity; acknowledge, silence until a time, resolve or dismiss. */
export function AlertsPage() {
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const filters: AlertFilters = { state: (params.get('state') || undefined) as AlertFilters['state'], severity: (params.get('severity') || undefined) as AlertFilters['severity'] };
  const alerts = useAlerts(filters);
  const [silencing, setSilencing] = useState<Alert | null>(null);
  const setFilter = (name: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const columns: Column<Alert>[] = [
    { key: 'when', header: 'Raised', render: (a) => formatTime(a.occurred_at) },
    { key: 'severity', header: 'Severity', render: (a) => <StateBadge value={a.severity} /> },
    { key: 'title', header: 'Alert', render: (a) => <><Text size="sm" fw={500}>{a.title}</Text><Text size="xs" c="dimmed">{a.body}</Text></> },
    { key: 'state', header: 'State', render: (a) => <><StateBadge value={a.state} />{a.silenced_until && a.state === 'silenced' && <Text size="xs" c="dimmed">until {formatTime(a.silenced_until)}</Text>}</> },
  ];
  if (can('alert:write')) columns.push({ key: 'actions', header: 'Actions', render: (a) => <AlertActions alert={a} onSilence={() => setSilencing(a)} /> });
  return (
    <>
      <PageHeader title="Alerts" description="Host unreachable, recovered and compliance drift alerts." />
      <DataTable
        label="Alerts"
        columns={columns}
        rows={alerts.data?.items}
        rowKey={(a) => a.id}
        loading={alerts.isPending}
        error={alerts.error}
        retry={() => alerts.refetch()}
        filters={
          <>
            <Select label="State" placeholder="Any" clearable data={STATES} value={filters.state ?? null} onChange={(v) => setFilter('state', v)} />
            <Select label="Severity" placeholder="Any" clearable data={SEVERITIES} value={filters.severity ?? null} onChange={(v) => setFilter('severity', v)} />
          </>
        }
        empty="Nothing needs attention."
      />
      {silencing && <SilenceForm alert={silencing} onClose={() => setSilencing(null)} />}
    </>
  );
}

function AlertActions({ alert, onSilence }: { alert: Alert; onSilence: () => void }) {
  const act = useFleetAction(alertCall, (a) => `Alert ${a.title}: ${a.state}.`);
  const allowed = ALLOWED[alert.state];
  const run = (action: 'acknowledge' | 'resolve' | 'dismiss') => act.mutate({ id: alert.id, action });
  const label = (verb: string) => `${verb} ${alert.title}`;
  return (
    <Group gap={4} wrap="nowrap">
      {allowed.includes('acknowledge') && <Button size="xs" variant="light" aria-label={label('Acknowledge')} loading={act.isPending} onClick={() => run('acknowledge')}>Acknowledge</Button>}
      {allowed.includes('silence') && <Button size="xs" variant="light" color="violet" aria-label={label('Silence')} onClick={onSilence}>Silence</Button>}
      {allowed.includes('resolve') && <Button size="xs" variant="light" color="teal" aria-label={label('Resolve')} loading={act.isPending} onClick={() => run('resolve')}>Resolve</Button>}
      {allowed.includes('dismiss') && <Button size="xs" variant="subtle" color="gray" aria-label={label('Dismiss')} loading={act.isPending} onClick={() => run('dismiss')}>Dismiss</Button>}
    </Group>
  );
}

/** The expiry as a datetime-local value one hour from now (the reader's zone). */
function inAnHour(): string {
  const d = new Date(Date.now() + 3_600_000);
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

function SilenceForm({ alert, onClose }: { alert: Alert; onClose: () => void }) {
  const act = useFleetAction(alertCall, `Alert ${alert.title} silenced.`, onClose);
  const submit = (form: FormData) => {
    const until = new Date(String(form.get('until')));
    act.mutate({ id: alert.id, action: 'silence', until: Number.isNaN(until.getTime()) ? undefined : until.toISOString() });
  };
  return (
    <FormModal title={`Silence ${alert.title}`} opened onClose={onClose} onSubmit={submit} submitLabel="Silence" busy={act.isPending}>
      <TextInput type="datetime-local" name="until" label="Silenced until" description="It becomes active again then." defaultValue={inAnHour()} required data-autofocus />
    </FormModal>
  );
}
