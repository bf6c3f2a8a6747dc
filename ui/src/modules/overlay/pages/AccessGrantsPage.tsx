import { Badge, Button, Checkbox, Text } from '@mantine/core';
import { useState } from 'react';
import { overlay } from '../../../app/api/client';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { PAGE_SIZE, useAccessGrants, useOverlayAction, type AccessGrant } from '../api';

/**
 * Temporary access a network owner gives a system admin to one network or node (its CA and keys). Owners see the
 * grants they gave and may revoke them; system admins see the grants they hold.
 */
export function AccessGrantsPage() {
  const [page, setPage] = useState(1);
  const [activeOnly, setActiveOnly] = useState(true);
  const grants = useAccessGrants(page, activeOnly);
  const revoke = useOverlayAction(
    (g: AccessGrant) => overlay.DELETE('/api/access-grants/{grant_id}', { params: { path: { grant_id: g.id } } }),
    'Access revoked.',
  );
  const columns: Column<AccessGrant>[] = [
    { key: 'admin', header: 'System admin', render: (g) => g.admin_email ?? g.admin_user_id },
    { key: 'resource', header: 'To', render: (g) => <><Badge variant="light" color="gray" mr={4}>{g.resource_type}</Badge>{g.resource_name}</> },
    { key: 'reason', header: 'Reason', render: (g) => <Text size="sm">{g.reason}</Text> },
    { key: 'by', header: 'Granted by', render: (g) => g.granted_by_email ?? g.granted_by_user_id },
    { key: 'expires', header: 'Expires', render: (g) => formatTime(g.expires_at) },
    { key: 'state', header: 'State', render: (g) => <Badge color={g.active ? 'teal' : 'gray'}>{g.active ? 'active' : g.revoked_at ? 'revoked' : 'expired'}</Badge> },
    {
      key: 'actions', header: 'Actions', render: (g) => g.active && (
        <Button size="xs" variant="default" onClick={() => revoke.mutate(g)} aria-label={`Revoke the access of ${g.admin_email ?? g.admin_user_id} to ${g.resource_name}`}>Revoke</Button>
      ),
    },
  ];
  return (
    <>
      <PageHeader title="Access grants" description="Temporary access of system admins to a network's CA and node keys, given by its owners." />
      <DataTable
        label="Access grants"
        columns={columns}
        rows={grants.data?.items}
        rowKey={(g) => g.id}
        total={grants.data?.total}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        loading={grants.isPending}
        error={grants.error}
        retry={() => grants.refetch()}
        filters={<Checkbox label="Active only" checked={activeOnly} onChange={(e) => { setActiveOnly(e.currentTarget.checked); setPage(1); }} />}
        empty="No grant. A network owner grants a system admin access from the API (POST /api/access-grants)."
      />
    </>
  );
}
