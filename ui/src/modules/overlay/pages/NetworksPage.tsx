import { Anchor, Badge, Button, Checkbox, Group, Modal, Select, Stack, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { overlay } from '../../../app/api/client';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { PAGE_SIZE, useNetworks, useOverlayAction, type Network } from '../api';
import { NetworkActions } from '../components/NetworkActions';

export function NetworksPage() {
  const [page, setPage] = useState(1);
  const networks = useNetworks(page);
  const [creating, createModal] = useDisclosure();

  const columns: Column<Network>[] = [
    { key: 'name', header: 'Name', render: (n) => <Anchor component={Link} to={`/overlay/networks/${n.id}`}>{n.name}</Anchor> },
    { key: 'subnet', header: 'Subnet', render: (n) => <code>{n.subnet_cidr}</code> },
    { key: 'role', header: 'Your role', render: (n) => <Badge variant="light" color={n.role === 'owner' ? 'blue' : 'gray'}>{n.role ?? 'system admin'}</Badge> },
    { key: 'nodes', header: 'Nodes', render: (n) => n.node_count },
    { key: 'users', header: 'Members', render: (n) => n.user_count },
    { key: 'ca', header: 'CA expires', render: (n) => formatTime(n.ca_expires_at) },
    { key: 'actions', header: 'Actions', render: (n) => <NetworkActions network={n} /> },
  ];

  return (
    <>
      <PageHeader
        title="Networks"
        description="Nebula overlay networks: each has its own certificate authority, subnet, nodes and members."
        actions={<Button leftSection={<IconPlus size={16} />} onClick={createModal.open}>Create network</Button>}
      />
      <DataTable
        label="Networks"
        columns={columns}
        rows={networks.data?.items}
        rowKey={(n) => n.id}
        total={networks.data?.total}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        loading={networks.isPending}
        error={networks.error}
        retry={() => networks.refetch()}
        empty="Create the first network with the button above; you become its owner."
      />
      <CreateNetworkModal opened={creating} onClose={createModal.close} />
    </>
  );
}

function CreateNetworkModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [certVersion, setCertVersion] = useState<string | null>('1');
  const create = useOverlayAction(
    (body: { name: string; subnet_cidr: string; auto_approve_nodes: boolean; cert_version: 1 | 2 }) => overlay.POST('/api/networks', { body }),
    'Network created with its own CA.',
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    create.mutate(
      { name: String(f.get('name')).trim(), subnet_cidr: String(f.get('subnet_cidr')).trim(), auto_approve_nodes: f.get('auto_approve_nodes') === 'on', cert_version: certVersion === '2' ? 2 : 1 },
      { onSuccess: onClose },
    );
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened={opened} onClose={onClose} title="Create network">
      <form onSubmit={submit}>
        <Stack>
          <TextInput name="name" label="Name" required autoComplete="off" data-autofocus />
          <TextInput name="subnet_cidr" label="Subnet" required placeholder="10.100.0.0/24" description="IPv4, /8 to /30; nodes get addresses from it." autoComplete="off" />
          <Select label="Certificate version" data={[{ value: '1', label: 'v1 (every nebula)' }, { value: '2', label: 'v2 (nebula 1.10 and later)' }]} value={certVersion} onChange={setCertVersion} allowDeselect={false} />
          <Checkbox name="auto_approve_nodes" label="Approve node requests of members automatically" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={create.isPending}>Create</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
