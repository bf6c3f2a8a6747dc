import { ActionIcon, Badge, Button, Group, NumberInput, Select, Switch, TextInput } from '@mantine/core';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { calls, useEdgeAction, useInterfacesDetailed, useVlans } from '../api';
import { EdgePage } from '../components/EdgePage';
import type { Vlan } from '../model';

/** 802.1Q VLANs on the box's interfaces (created with iproute2 as <parent>.<id> when changes are applied). */
export function VlansPage() {
  const can = useCan();
  const writable = can('interfaces:write');
  const list = useVlans();
  const [editing, setEditing] = useState<Vlan | 'new' | null>(null);
  const remove = useEdgeAction((v: Vlan) => calls.deleteVlan(v.id), 'VLAN deleted; apply to remove its interface.');
  const columns: Column<Vlan>[] = [
    { key: 'id', header: 'VLAN', render: (v) => <code>{v.vlan_id}</code> },
    { key: 'parent', header: 'Parent', render: (v) => <code>{v.parent}</code> },
    { key: 'dev', header: 'Device', render: (v) => <code>{v.parent}.{v.vlan_id}</code> },
    { key: 'ipv4', header: 'IPv4', render: (v) => <code>{v.ipv4_mode === 'static' ? v.ipv4_address : v.ipv4_mode}</code> },
    { key: 'ipv6', header: 'IPv6', render: (v) => <code>{v.ipv6_address ?? '—'}</code> },
    { key: 'mtu', header: 'MTU', render: (v) => v.mtu },
    { key: 'enabled', header: 'Status', render: (v) => <Badge color={v.enabled ? 'teal' : 'gray'} variant="light">{v.enabled ? 'enabled' : 'disabled'}</Badge> },
    { key: 'description', header: 'Description', render: (v) => v.description || '—' },
  ];
  if (writable) {
    columns.push({
      key: 'actions', header: 'Actions', render: (v) => (
        <Group gap={4} wrap="nowrap">
          <ActionIcon variant="subtle" aria-label={`Edit VLAN ${v.vlan_id}`} onClick={() => setEditing(v)}><IconPencil size={16} /></ActionIcon>
          <ActionIcon variant="subtle" color="red" aria-label={`Delete VLAN ${v.vlan_id}`} onClick={() => window.confirm(`Delete VLAN ${v.vlan_id} on ${v.parent}?`) && remove.mutate(v)}><IconTrash size={16} /></ActionIcon>
        </Group>
      ),
    });
  }
  return (
    <EdgePage title="VLANs" description="Tagged 802.1Q interfaces on a parent interface; they take part in rules and NAT like any interface." actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>Add VLAN</Button>}>
      <DataTable label="VLANs" columns={columns} rows={list.data} rowKey={(v) => v.id} loading={list.isPending} error={list.error} retry={() => list.refetch()} empty="Add a VLAN to carry a tagged network on one of the interfaces." />
      {editing && <VlanForm vlan={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </EdgePage>
  );
}

function VlanForm({ vlan, onClose }: { vlan: Vlan | null; onClose: () => void }) {
  const interfaces = useInterfacesDetailed();
  const [parent, setParent] = useState<string | null>(vlan?.parent ?? null);
  const [mode, setMode] = useState(vlan?.ipv4_mode ?? 'none');
  const [vid, setVid] = useState<number | string>(vlan?.vlan_id ?? '');
  const [mtu, setMtu] = useState<number | string>(vlan?.mtu ?? 1500);
  const [enabled, setEnabled] = useState(vlan?.enabled ?? true);
  const save = useEdgeAction(calls.saveVlan, vlan ? 'VLAN saved; apply to put it in effect.' : 'VLAN added; apply to create it.');
  const parents = (interfaces.data ?? []).filter((i) => !i.is_vlan && i.name !== 'lo').map((i) => i.name);
  return (
    <FormModal
      title={vlan ? `Edit VLAN ${vlan.vlan_id}` : 'Add VLAN'}
      opened
      onClose={onClose}
      busy={save.isPending}
      submitLabel={vlan ? 'Save VLAN' : 'Add VLAN'}
      onSubmit={(form) => save.mutate({
        vlanId: vlan?.id,
        body: {
          vlan_id: Number(vid), parent: parent ?? '', ipv4_mode: mode, ipv4_address: mode === 'static' ? field(form, 'ipv4_address') ?? null : null,
          ipv6_address: field(form, 'ipv6_address') ?? null, mtu: Number(mtu), enabled, description: field(form, 'description') ?? null,
        },
      }, { onSuccess: onClose })}
    >
      <NumberInput label="VLAN ID" description="1 to 4094" min={1} max={4094} required value={vid} onChange={setVid} />
      <Select label="Parent interface" required data={parents} value={parent} onChange={setParent} />
      <Select label="IPv4 mode" data={[{ value: 'none', label: 'None' }, { value: 'static', label: 'Static' }, { value: 'dhcp', label: 'DHCP' }]} value={mode} onChange={(v) => setMode((v ?? 'none') as Vlan['ipv4_mode'])} allowDeselect={false} />
      {mode === 'static' && <TextInput name="ipv4_address" label="IPv4 address" description="With its prefix: 192.168.100.1/24" required defaultValue={vlan?.ipv4_address ?? ''} />}
      <TextInput name="ipv6_address" label="IPv6 address (optional)" defaultValue={vlan?.ipv6_address ?? ''} />
      <NumberInput label="MTU" min={68} max={9000} value={mtu} onChange={setMtu} />
      <TextInput name="description" label="Description" defaultValue={vlan?.description ?? ''} />
      <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormModal>
  );
}
