import { ActionIcon, Alert, Badge, Button, Group, Modal, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { overlay } from '../../../app/api/client';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { PAGE_SIZE, useGroupFirewall, useOverlayAction, type GroupFirewall, type Network } from '../api';

type Rule = GroupFirewall['inbound_rules'][number];
const PROTOCOLS = ['any', 'tcp', 'udp', 'icmp'];
const blankRule = (): Rule => ({ allowed_group: 'any', protocol: 'tcp', port_range: '', description: null });

/**
 * Inbound rules per group: a node takes what the rules of all its groups allow; a node none of whose groups has
 * rules takes anything (as in Nebula Commander). Outbound is always open.
 */
export function FirewallPanel({ network }: { network: Network }) {
  const [page, setPage] = useState(1);
  const configs = useGroupFirewall(network.id, page);
  const [editing, setEditing] = useState<GroupFirewall | 'new' | null>(null);
  const manage = network.can_manage_firewall;

  const columns: Column<GroupFirewall>[] = [
    { key: 'group', header: 'Group', render: (g) => <Badge variant="light" color="gray">{g.group_name}</Badge> },
    {
      key: 'rules', header: 'Inbound rules', render: (g) => g.inbound_rules.length === 0 ? <Text size="sm" c="dimmed">drops everything</Text> : (
        <Stack gap={2}>
          {g.inbound_rules.map((r, i) => <Text key={i} size="sm">{r.protocol} {r.port_range} from <b>{r.allowed_group}</b>{r.description ? ` — ${r.description}` : ''}</Text>)}
        </Stack>
      ),
    },
  ];
  if (manage) columns.push({ key: 'actions', header: 'Actions', render: (g) => <Button size="xs" variant="light" onClick={() => setEditing(g)} aria-label={`Edit the rules of ${g.group_name}`}>Edit</Button> });

  return (
    <Stack>
      <Text size="sm" c="dimmed">A node takes inbound traffic its groups' rules allow; a node none of whose groups has rules takes anything.</Text>
      {manage && (
        <Group justify="flex-end">
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>Add group rules</Button>
        </Group>
      )}
      <DataTable
        label="Group firewall rules"
        columns={columns}
        rows={configs.data?.items}
        rowKey={(g) => g.group_name}
        total={configs.data?.total}
        page={page}
        pageSize={PAGE_SIZE}
        onPage={setPage}
        loading={configs.isPending}
        error={configs.error}
        retry={() => configs.refetch()}
        empty="No group has rules yet, so every node takes any inbound traffic."
      />
      {editing && <RulesModal network={network} config={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} />}
    </Stack>
  );
}

function RulesModal({ network, config, onClose }: { network: Network; config?: GroupFirewall; onClose: () => void }) {
  const [group, setGroup] = useState(config?.group_name ?? '');
  const [rules, setRules] = useState<Rule[]>(config?.inbound_rules ?? [blankRule()]);
  const path = { network_id: network.id, group_name: group.trim() };
  const save = useOverlayAction(
    () => overlay.PUT('/api/networks/{network_id}/group-firewall/{group_name}', {
      params: { path },
      body: { inbound_rules: rules.map((r) => ({ ...r, port_range: r.port_range.trim() || 'any', description: r.description?.trim() || null })) },
    }),
    `The rules of ${group} are saved; nodes pick them up at their next poll.`,
  );
  const remove = useOverlayAction(() => overlay.DELETE('/api/networks/{network_id}/group-firewall/{group_name}', { params: { path } }), `The rules of ${group} are removed.`);
  const set = (i: number, patch: Partial<Rule>) => setRules(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={config ? `Inbound rules of ${config.group_name}` : 'Rules for a group'} size="xl">
      <Stack>
        {!config && <TextInput label="Group" required value={group} onChange={(e) => setGroup(e.currentTarget.value)} autoComplete="off" data-autofocus />}
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">From group</Table.Th>
              <Table.Th scope="col">Protocol</Table.Th>
              <Table.Th scope="col">Ports</Table.Th>
              <Table.Th scope="col">Description</Table.Th>
              <Table.Th scope="col"><span className="visually-hidden">Remove</span></Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.map((r, i) => (
              <Table.Tr key={i}>
                <Table.Td><TextInput aria-label={`Rule ${i + 1}: from group`} value={r.allowed_group} onChange={(e) => set(i, { allowed_group: e.currentTarget.value })} /></Table.Td>
                <Table.Td><Select aria-label={`Rule ${i + 1}: protocol`} data={PROTOCOLS} value={r.protocol} onChange={(v) => set(i, { protocol: (v ?? 'any') as Rule['protocol'] })} allowDeselect={false} w={100} /></Table.Td>
                <Table.Td><TextInput aria-label={`Rule ${i + 1}: ports`} placeholder="any, 443, 8000-8100" value={r.port_range} onChange={(e) => set(i, { port_range: e.currentTarget.value })} /></Table.Td>
                <Table.Td><TextInput aria-label={`Rule ${i + 1}: description`} value={r.description ?? ''} onChange={(e) => set(i, { description: e.currentTarget.value })} /></Table.Td>
                <Table.Td>
                  <ActionIcon variant="subtle" color="red" aria-label={`Remove rule ${i + 1}`} onClick={() => setRules(rules.filter((_, j) => j !== i))}><IconTrash size={16} /></ActionIcon>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Group>
          <Button variant="light" size="xs" leftSection={<IconPlus size={14} />} onClick={() => setRules([...rules, blankRule()])}>Add rule</Button>
        </Group>
        {rules.length === 0 && <Alert color="orange" variant="light">No rules: nodes of this group drop every inbound packet.</Alert>}
        {save.error && <Alert color="red" role="alert" title="Not saved">{save.error.message}</Alert>}
        <Group justify="space-between">
          {config ? <Button variant="subtle" color="red" loading={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: onClose })}>Remove group rules</Button> : <span />}
          <Group>
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button disabled={!group.trim()} loading={save.isPending} onClick={() => save.mutate(undefined, { onSuccess: onClose })}>Save rules</Button>
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}
