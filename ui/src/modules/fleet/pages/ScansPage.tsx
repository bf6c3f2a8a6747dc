import { Anchor, Select } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { useHostNames, useScans, type Scan } from '../api';
import { percent, StateBadge } from '../format';

const STATUSES: Scan['status'][] = ['queued', 'running', 'completed', 'failed'];

/** Every scan, newest first, with what it found. */
export function ScansPage() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') || undefined) as Scan['status'] | undefined;
  const scans = useScans(status);
  const name = useHostNames();
  const columns: Column<Scan>[] = [
    { key: 'queued', header: 'Queued', render: (s) => <Anchor component={Link} to={`/fleet/scans/${s.scan_id}`}>{formatTime(s.queued_at)}</Anchor> },
    { key: 'host', header: 'Host', render: (s) => <Anchor component={Link} to={`/fleet/hosts/${s.host_id}`}>{name(s.host_id)}</Anchor> },
    { key: 'status', header: 'Status', render: (s) => <StateBadge value={s.status} /> },
    { key: 'trigger', header: 'Trigger', render: (s) => s.trigger_source.replace('_', ' ') },
    { key: 'score', header: 'Score', render: (s) => percent(s.score) },
    { key: 'results', header: 'Pass / fail / error', render: (s) => `${s.rules_pass} / ${s.rules_fail} / ${s.rules_error}` },
    { key: 'finished', header: 'Finished', render: (s) => (s.failure_reason ? s.failure_reason : formatTime(s.finished_at)) },
  ];
  return (
    <>
      <PageHeader title="Scans" description="Compliance scans, on demand and scheduled." />
      <DataTable
        label="Scans"
        columns={columns}
        rows={scans.data?.scans}
        rowKey={(s) => s.scan_id}
        loading={scans.isPending}
        error={scans.error}
        retry={() => scans.refetch()}
        filters={<Select label="Status" placeholder="Any" clearable data={STATUSES} value={status ?? null} onChange={(v) => setParams(v ? { status: v } : {}, { replace: true })} />}
        empty="Scans appear here once a host is scanned (Scan now on its page, or the schedule)."
      />
    </>
  );
}
