import { ActionIcon, Badge } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { settingsCalls, useEgressAction, useIntegrations } from '../api';

interface Integration {
  id: string;
  name: string;
  api_server_url: string;
  token_configured: boolean;
  created_at: string;
}

/** Kubernetes API servers whose pods and nodes policies may name as sources. */
export function IntegrationsPage() {
  const can = useCan();
  const [page, setPage] = useState(1);
  const list = useIntegrations(page);
  const columns: Column<Integration>[] = [
    { key: 'name', header: 'Name', render: (i) => i.name },
    { key: 'url', header: 'API server', render: (i) => <code>{i.api_server_url}</code> },
    { key: 'token', header: 'Token', render: (i) => <Badge color={i.token_configured ? 'teal' : 'gray'} variant="light">{i.token_configured ? 'set' : 'missing'}</Badge> },
    { key: 'created', header: 'Created', render: (i) => formatTime(i.created_at) },
  ];
  if (can('egress_integration:write')) columns.push({ key: 'actions', header: 'Actions', render: (i) => <RemoveIntegration name={i.name} /> });
  return (
    <>
      <PageHeader title="Integrations" description="Kubernetes clusters whose pod and node addresses policies can use as sources." />
      <DataTable
        label="Integrations"
        columns={columns}
        rows={list.data?.items}
        rowKey={(i) => i.id}
        total={list.data?.total}
        page={page}
        onPage={setPage}
        loading={list.isPending}
        error={list.error}
        retry={() => list.refetch()}
        empty="No Kubernetes integration yet. Add one with POST /api/v1/integrations; policies then name it in sources.kubernetes."
      />
    </>
  );
}

function RemoveIntegration({ name }: { name: string }) {
  const remove = useEgressAction(settingsCalls.removeIntegration, `Integration ${name} removed.`);
  return (
    <ActionIcon variant="subtle" color="red" aria-label={`Remove integration ${name}`} loading={remove.isPending} onClick={() => window.confirm(`Remove the integration ${name}?`) && remove.mutate(name)}>
      <IconTrash size={16} />
    </ActionIcon>
  );
}
