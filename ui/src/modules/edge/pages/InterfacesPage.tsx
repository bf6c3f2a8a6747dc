import { ActionIcon, Badge, Group, NumberInput, Select, Switch, Text, TextInput } from '@mantine/core';
import { IconPencil } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { calls, useEdgeAction, useInterfaces, useInterfacesDetailed } from '../api';
import { EdgePage } from '../components/EdgePage';
import { formatBytes, type InterfaceDetail } from '../model';

const ROLES = ['wan', 'lan', 'dmz', 'mgmt', 'vpn'];

/** The box's interfaces with their addresses, roles and counters (refreshed every 10 s); configure one. */
export function InterfacesPage() {
  const can = useCan();
  const writable = can('interfaces:write');
  const list = useInterfacesDetailed();
  const roles = useInterfaces();
  const [editing, setEditing] = useState<InterfaceDetail | null>(null);
  const roleOf = (name: string) => roles.data?.find((i) => i.name === name)?.role ?? null;
  const columns: Column<InterfaceDetail>[] = [
    { key: 'name', header: 'Name', render: (i) => <Group gap={6}><code>{i.name}</code>{i.is_vlan && <Badge size="xs" variant="outline">VLAN {i.vlan_id} on {i.vlan_parent}</Badge>}</Group> },
    { key: 'role', header: 'Role', render: (i) => (roleOf(i.name) ?? i.role) ? <Badge variant="light">{roleOf(i.name) ?? i.role}</Badge> : '—' },
    { key: 'status', header: 'Status', render: (i) => <Badge color={i.status === 'up' ? 'teal' : 'red'} variant="light">{i.status}</Badge> },
    { key: 'mode', header: 'IPv4 mode', render: (i) => i.ipv4_mode ?? '—' },
    { key: 'ipv4', header: 'IPv4', render: (i) => <code>{i.ipv4 ?? '—'}</code> },
    { key: 'ipv6', header: 'IPv6', render: (i) => <code>{i.ipv6 ?? '—'}</code> },
    { key: 'gw', header: 'Gateway', render: (i) => <code>{i.gateway ?? '—'}</code> },
    { key: 'mtu', header: 'MTU', render: (i) => i.mtu },
    { key: 'traffic', header: 'In / out', render: (i) => `${formatBytes(i.bytes_in)} / ${formatBytes(i.bytes_out)}` },
    { key: 'errors', header: 'Errors', render: (i) => i.errors_in + i.errors_out },
  ];
  if (writable) columns.push({ key: 'actions', header: 'Actions', render: (i) => <ActionIcon variant="subtle" aria-label={`Configure ${i.name}`} onClick={() => setEditing(i)}><IconPencil size={16} /></ActionIcon> });
  const rows = list.data?.filter((i) => i.name !== 'lo');
  return (
    <EdgePage title="Interfaces" description="The box's network interfaces, live counters every 10 seconds. Roles (wan, lan ...) name them in NAT, VPN and the rules' sidebar.">
      <DataTable label="Interfaces" columns={columns} rows={rows} rowKey={(i) => i.name} loading={list.isPending} error={list.error} retry={() => list.refetch()} empty="No network interface besides loopback." />
      {editing && <InterfaceForm iface={editing} role={roleOf(editing.name) ?? editing.role ?? null} onClose={() => setEditing(null)} />}
    </EdgePage>
  );
}

function InterfaceForm({ iface, role, onClose }: { iface: InterfaceDetail; role: string | null; onClose: () => void }) {
  const [mode, setMode] = useState(iface.ipv4_mode ?? (iface.ipv4 ? 'static' : 'dhcp'));
  const [newRole, setNewRole] = useState<string | null>(role);
  const [enabled, setEnabled] = useState(iface.status === 'up');
  const [mtu, setMtu] = useState<number | string>(iface.mtu);
  const save = useEdgeAction(async (body: Record<string, unknown>) => {
    const r = await calls.configureInterface({ name: iface.name, body });
    if (newRole && newRole !== role) await calls.setRole({ name: iface.name, role: newRole });
    return r;
  }, (r) => r?.message ?? `${iface.name} configured.`);
  return (
    <FormModal
      title={`Configure ${iface.name}`}
      opened
      onClose={onClose}
      busy={save.isPending}
      submitLabel="Save interface"
      onSubmit={(form) => {
        const body: Record<string, unknown> = { ipv4_mode: mode, mtu: Number(mtu), enabled, description: field(form, 'description') };
        if (mode === 'static') Object.assign(body, { ipv4_address: field(form, 'ipv4_address'), gateway: field(form, 'gateway') ?? '' });
        const v6 = field(form, 'ipv6_address');
        if (v6) body.ipv6_address = v6;
        save.mutate(body, { onSuccess: onClose });
      }}
    >
      <Text size="sm" c="dimmed">Interface settings apply at once (with the data plane on).</Text>
      <Select label="Role" data={ROLES} value={newRole} onChange={setNewRole} clearable placeholder="None" />
      <Select label="IPv4 mode" data={[{ value: 'dhcp', label: 'DHCP' }, { value: 'static', label: 'Static' }, { value: 'none', label: 'None' }]} value={mode} onChange={(v) => setMode(v ?? 'dhcp')} allowDeselect={false} />
      {mode === 'static' && (
        <>
          <TextInput name="ipv4_address" label="IPv4 address" description="With its prefix: 192.168.1.1/24" required defaultValue={iface.ipv4 && iface.ipv4_netmask ? `${iface.ipv4}/${iface.ipv4_netmask}` : iface.ipv4 ?? ''} />
          <TextInput name="gateway" label="Gateway" defaultValue={iface.gateway ?? ''} />
        </>
      )}
      <TextInput name="ipv6_address" label="IPv6 address (optional)" defaultValue={iface.ipv6 ?? ''} />
      <NumberInput label="MTU" min={68} max={9000} value={mtu} onChange={setMtu} />
      <TextInput name="description" label="Description" defaultValue={iface.description ?? ''} />
      <Switch label="Enabled (up)" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormModal>
  );
}
