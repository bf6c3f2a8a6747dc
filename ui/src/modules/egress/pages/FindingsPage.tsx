import { Alert, Badge, Select, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { useFindings, type FindingFilters } from '../api';

type FindingType = NonNullable<FindingFilters['finding_type']>[number];
import { protoName, unixTime } from '../format';

const TYPES = [
  { value: 'dns_deny', label: 'DNS denied' },
  { value: 'l4_deny', label: 'Connection denied' },
  { value: 'tls_deny', label: 'TLS denied' },
  { value: 'icmp_deny', label: 'ICMP denied' },
];
const PAGE = 25;

/** A finding as the OpenAPI document types it: a changed response breaks this page's build. */
type Finding = NonNullable<ReturnType<typeof useFindings>['data']>['items'][number];

/** What the policy denied (or would deny, in audit mode), grouped by what was asked, with filters. */
export function FindingsPage() {
  const [type, setType] = useState<string | null>(null);
  const [group, setGroup] = useState('');
  const [debounced] = useDebouncedValue(group, 300);
  const [page, setPage] = useState(1);
  const findings = useFindings({ finding_type: type ? [type as FindingType] : undefined, source_group: debounced ? [debounced] : undefined });
  const items: Finding[] = findings.data?.items ?? [];
  const columns: Column<Finding>[] = [
    { key: 'type', header: 'Type', render: (f) => <Badge variant="light" color="red">{TYPES.find((t) => t.value === f.finding_type)?.label ?? f.finding_type}</Badge> },
    { key: 'group', header: 'Source group', render: (f) => f.source_group },
    { key: 'what', header: 'Destination', render: (f) => f.hostname ?? (f.dst_ip ? `${f.dst_ip}${f.dst_port ? `:${f.dst_port}` : ''}` : '—') },
    { key: 'proto', header: 'Protocol', render: (f) => protoName(f.proto) },
    { key: 'count', header: 'Count', render: (f) => f.count },
    { key: 'first', header: 'First seen', render: (f) => unixTime(f.first_seen) },
    { key: 'last', header: 'Last seen', render: (f) => unixTime(f.last_seen) },
  ];
  const filtered = !!type || !!debounced;
  return (
    <>
      <PageHeader title="Findings" description="Traffic the egress policy denied, or would deny in audit mode, counted per destination." />
      {findings.data?.partial && <Alert color="yellow" mb="sm">Some nodes did not answer; these findings are partial.</Alert>}
      <DataTable
        label="Findings"
        columns={columns}
        rows={items.slice((page - 1) * PAGE, page * PAGE)}
        rowKey={(f) => `${f.finding_type}|${f.policy_id}|${f.source_group}|${f.hostname}|${f.dst_ip}|${f.dst_port}|${f.proto}`}
        total={items.length}
        page={page}
        pageSize={PAGE}
        onPage={setPage}
        loading={findings.isPending}
        error={findings.error}
        retry={() => findings.refetch()}
        filters={
          <>
            <Select label="Type" placeholder="Any" clearable data={TYPES} value={type} onChange={(v) => { setType(v); setPage(1); }} />
            <TextInput label="Source group" placeholder="Group id" value={group} onChange={(e) => { setGroup(e.currentTarget.value); setPage(1); }} />
          </>
        }
        empty={filtered ? 'No finding matches these filters.' : 'Nothing was denied yet.'}
      />
    </>
  );
}
