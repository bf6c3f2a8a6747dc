import { Anchor, Badge, Group, Tabs, Text } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PageError, PageLoading } from '../../../shared/components/states';
import { useNetwork } from '../api';
import { FirewallPanel } from '../components/FirewallPanel';
import { MembersPanel } from '../components/MembersPanel';
import { NetworkActions } from '../components/NetworkActions';
import { NodesPanel } from '../components/NodesPanel';

const TABS = ['nodes', 'firewall', 'members'] as const;
type Tab = (typeof TABS)[number];

/** One network: its nodes, its group firewall, its members and invitations (the tab is in the URL, so links keep it). */
export function NetworkPage() {
  const { networkId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab: Tab = TABS.find((t) => t === params.get('tab')) ?? 'nodes';
  const network = useNetwork(networkId);

  if (network.isPending) return <PageLoading label="Loading the network" />;
  if (network.isError) return <PageError error={network.error} retry={() => network.refetch()} />;
  const n = network.data;
  return (
    <>
      <Anchor component={Link} to="/overlay/networks" size="sm">← Networks</Anchor>
      <PageHeader title={n.name} description={`Subnet ${n.subnet_cidr} · certificate v${n.cert_version} · CA ${n.ca_fingerprint?.slice(0, 16) ?? 'hidden'}…`} actions={<NetworkActions network={n} />} />
      <Group gap="xs" mb="md">
        <Badge variant="light">{n.role ?? 'system admin'}</Badge>
        {n.auto_approve_nodes && <Badge variant="light" color="teal">auto-approves node requests</Badge>}
        <Text size="sm" c="dimmed">{n.node_count} nodes · {n.user_count} members</Text>
      </Group>
      <Tabs value={tab} onChange={(t) => setParams(t && t !== 'nodes' ? { tab: t } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="nodes">Nodes</Tabs.Tab>
          <Tabs.Tab value="firewall">Group firewall</Tabs.Tab>
          <Tabs.Tab value="members">Members and invitations</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="nodes"><NodesPanel network={n} /></Tabs.Panel>
        <Tabs.Panel value="firewall"><FirewallPanel network={n} /></Tabs.Panel>
        <Tabs.Panel value="members"><MembersPanel network={n} /></Tabs.Panel>
      </Tabs>
    </>
  );
}
