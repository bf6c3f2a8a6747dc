import { Badge } from '@mantine/core';
import { useState } from 'react';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { useServiceAccounts } from '../api';

interface Account {
  id: string;
  name: string;
  description: string | null;
  role: 'admin' | 'readonly';
  status: 'active' | 'disabled';
  created_at: string;
}

/** Neuwerk's service accounts: machine callers of the egress API with a role and their own tokens. */
export function ServiceAccountsPage() {
  const [page, setPage] = useState(1);
  const list = useServiceAccounts(page);
  const columns: Column<Account>[] = [
    { key: 'name', header: 'Name', render: (a) => a.name },
    { key: 'description', header: 'Description', render: (a) => a.description ?? '—' },
    { key: 'role', header: 'Role', render: (a) => <Badge variant="light">{a.role}</Badge> },
    { key: 'status', header: 'Status', render: (a) => <Badge color={a.status === 'active' ? 'teal' : 'gray'}>{a.status}</Badge> },
    { key: 'created', header: 'Created', render: (a) => formatTime(a.created_at) },
  ];
  return (
    <>
      <PageHeader title="Service accounts" description="Machine callers of the egress API (CI jobs, controllers), each with a role and its own tokens." />
      <DataTable
        label="Service accounts"
        columns={columns}
        rows={list.data?.items}
        rowKey={(a) => a.id}
        total={list.data?.total}
        page={page}
        onPage={setPage}
        loading={list.isPending}
        error={list.error}
        retry={() => list.refetch()}
        empty="No service account yet."
      />
    </>
  );
}
