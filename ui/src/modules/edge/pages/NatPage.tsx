import { ActionIcon, Badge, Button, Group, SegmentedControl, Select, SimpleGrid, Switch, Text, TextInput } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { calls, useEdgeAction, useInterfaces, useNat } from '../api';
import { EdgePage } from '../components/EdgePage';
import { formatPort, parsePorts, type NatBody, type NatRule } from '../model';

const TYPES = [
  { value: 'dnat', label: 'Port forward (dnat)' },
  { value: 'snat', label: 'Source NAT (snat)' },
  { value: 'masquerade', label: 'Masquerade (interface address)' },
  { value: 'binat', label: 'Bidirectional (binat)' },
];
const KIND: Record<string, 'forward' | 'outbound' | 'other'> = { dnat: 'forward', rdr: 'forward', snat: 'outbound', masquerade: 'outbound', masq: 'outbound' };
const where = (addr: string, port: NatRule['src_port']) => `${addr || 'any'}${port ? `:${formatPort(port)}` : ''}`;

/** Port forwards (dnat, with reflection) and outbound NAT (snat, masquerade), in the order they are evaluated. */
export function NatPage() {
  const can = useCan();
  const writable = can('nat:write');
  const list = useNat();
  const [tab, setTab] = useState<string>('forward');
  const [editing, setEditing] = useState<NatRule | 'new' | null>(null);
  const toggle = useEdgeAction((n: NatRule) => calls.saveNat({ natId: n.id, body: bodyOfNat(n, { status: n.status === 'active' ? 'disabled' : 'active' }) }));
  const remove = useEdgeAction((n: NatRule) => calls.deleteNat(n.id), 'NAT rule deleted.');
  const reorder = useEdgeAction((ids: string[]) => calls.reorderNat(ids));
  const all = list.data;
  const rows = all?.filter((n) => (KIND[n.nat_type] ?? 'other') === tab);
  const move = (n: NatRule, by: number) => {
    if (!all) return;
    const ids = all.map((x) => x.id);
    const from = ids.indexOf(n.id);
    const to = from + by;
    if (to < 0 || to >= ids.length) return;
    ids.splice(from, 1);
    ids.splice(to, 0, n.id);
    reorder.mutate(ids);
  };
  const name = (n: NatRule) => n.label || `${n.nat_type} on ${n.interface}`;
  const columns: Column<NatRule>[] = [
    { key: 'type', header: 'Type', render: (n) => <Badge variant="light">{n.nat_type}</Badge> },
    { key: 'iface', header: 'Interface', render: (n) => <code>{n.interface}</code> },
    { key: 'proto', header: 'Proto', render: (n) => n.protocol },
    { key: 'src', header: 'Source', render: (n) => <code>{where(n.src_addr, n.src_port)}</code> },
    { key: 'dst', header: 'Destination', render: (n) => <code>{where(n.dst_addr, n.dst_port)}</code> },
    { key: 'to', header: 'Translated to', render: (n) => <code>{n.nat_type === 'masquerade' ? 'interface address' : where(n.redirect?.address, n.redirect?.port)}</code> },
    { key: 'label', header: 'Label', render: (n) => n.label || '—' },
    { key: 'on', header: 'On', render: (n) => <Switch checked={n.status === 'active'} disabled={!writable} onChange={() => toggle.mutate(n)} aria-label={`${name(n)} enabled`} /> },
  ];
  if (writable) {
    columns.push({
      key: 'actions', header: 'Actions', render: (n) => (
        <Group gap={2} wrap="nowrap">
          <ActionIcon variant="subtle" aria-label={`Move ${name(n)} up`} onClick={() => move(n, -1)}><IconArrowUp size={16} /></ActionIcon>
          <ActionIcon variant="subtle" aria-label={`Move ${name(n)} down`} onClick={() => move(n, 1)}><IconArrowDown size={16} /></ActionIcon>
          <ActionIcon variant="subtle" aria-label={`Edit ${name(n)}`} onClick={() => setEditing(n)}><IconPencil size={16} /></ActionIcon>
          <ActionIcon variant="subtle" color="red" aria-label={`Delete ${name(n)}`} onClick={() => window.confirm(`Delete ${name(n)}?`) && remove.mutate(n)}><IconTrash size={16} /></ActionIcon>
        </Group>
      ),
    });
  }
  return (
    <EdgePage
      title="NAT"
      description="Port forwards rewrite the destination of incoming traffic (a pass rule must still allow it); outbound NAT rewrites the source of traffic leaving an interface."
      actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>Add NAT rule</Button>}
    >
      <SegmentedControl
        mb="sm"
        value={tab}
        onChange={setTab}
        aria-label="Kind of NAT rule"
        data={[{ value: 'forward', label: 'Port forwards' }, { value: 'outbound', label: 'Outbound' }, { value: 'other', label: 'Other (binat)' }]}
      />
      <DataTable label="NAT rules" columns={columns} rows={rows} rowKey={(n) => n.id} loading={list.isPending} error={list.error} retry={() => list.refetch()} empty={tab === 'outbound' ? 'Masquerade a LAN behind the WAN address with an outbound rule.' : 'Forward a port of the WAN address to a server inside.'} />
      {editing && <NatForm rule={editing === 'new' ? null : editing} defaultType={tab === 'outbound' ? 'masquerade' : 'dnat'} onClose={() => setEditing(null)} />}
    </EdgePage>
  );
}

function bodyOfNat(n: NatRule, changes: Partial<NatBody> = {}): NatBody {
  return {
    nat_type: n.nat_type, interface: n.interface, protocol: n.protocol, src_addr: n.src_addr, dst_addr: n.dst_addr,
    src_port_start: n.src_port?.start, src_port_end: n.src_port?.end, dst_port_start: n.dst_port?.start, dst_port_end: n.dst_port?.end,
    redirect_addr: n.redirect?.address, redirect_port_start: n.redirect?.port?.start, redirect_port_end: n.redirect?.port?.end,
    label: n.label ?? undefined, status: n.status, ...changes,
  };
}

function NatForm({ rule, defaultType, onClose }: { rule: NatRule | null; defaultType: string; onClose: () => void }) {
  const interfaces = useInterfaces();
  const [type, setType] = useState(rule?.nat_type ?? defaultType);
  const [iface, setIface] = useState<string | null>(rule?.interface ?? null);
  const [protocol, setProtocol] = useState(rule?.protocol ?? (defaultType === 'dnat' ? 'tcp' : 'any'));
  const [enabled, setEnabled] = useState(rule ? rule.status === 'active' : true);
  const [error, setError] = useState<string | null>(null);
  const save = useEdgeAction(calls.saveNat, rule ? 'NAT rule saved; apply to put it in effect.' : 'NAT rule added; apply to put it in effect.');
  const ports = protocol === 'tcp' || protocol === 'udp' || protocol === 'tcp/udp';
  return (
    <FormModal
      title={rule ? 'Edit NAT rule' : 'Add NAT rule'}
      opened
      onClose={onClose}
      busy={save.isPending}
      submitLabel={rule ? 'Save NAT rule' : 'Add NAT rule'}
      size="lg"
      onSubmit={(form) => {
        try {
          if (!iface) throw new Error('Pick an interface');
          const sp = ports ? parsePorts(field(form, 'src_port'), 'Source port') : {};
          const dp = ports ? parsePorts(field(form, 'dst_port'), 'Destination port') : {};
          const rp = ports ? parsePorts(field(form, 'redirect_port'), 'Translated port') : {};
          const redirect = type === 'masquerade' ? 'interface' : field(form, 'redirect_addr');
          if (!redirect) throw new Error('The address to translate to is required');
          setError(null);
          save.mutate({
            natId: rule?.id,
            body: {
              nat_type: type, interface: iface, protocol, src_addr: field(form, 'src_addr') ?? 'any', dst_addr: field(form, 'dst_addr') ?? 'any',
              src_port_start: sp.start, src_port_end: sp.end, dst_port_start: dp.start, dst_port_end: dp.end,
              redirect_addr: redirect, redirect_port_start: rp.start, redirect_port_end: rp.end, label: field(form, 'label'), status: enabled ? 'active' : 'disabled',
            },
          }, { onSuccess: onClose });
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      {error && <Text c="red" size="sm" role="alert">{error}</Text>}
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Select label="Type" data={TYPES} value={type} onChange={(v) => setType(v ?? 'dnat')} allowDeselect={false} />
        <Select label="Interface" required data={(interfaces.data ?? []).map((i) => i.name)} value={iface} onChange={setIface} />
        <Select label="Protocol" data={['tcp', 'udp', 'tcp/udp', 'icmp', 'any']} value={protocol} onChange={(v) => setProtocol(v ?? 'any')} allowDeselect={false} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput name="src_addr" label="Source" defaultValue={rule?.src_addr ?? 'any'} />
        <TextInput name="src_port" label="Source port" disabled={!ports} defaultValue={formatPort(rule?.src_port)} />
        <TextInput name="dst_addr" label="Destination" defaultValue={rule?.dst_addr ?? 'any'} />
        <TextInput name="dst_port" label="Destination port" disabled={!ports} description={type === 'dnat' ? 'The port forwarded' : undefined} defaultValue={formatPort(rule?.dst_port)} />
        <TextInput name="redirect_addr" label="Translate to" disabled={type === 'masquerade'} description={type === 'masquerade' ? 'The interface address' : type === 'dnat' ? 'The inside server' : 'The address used'} defaultValue={type === 'masquerade' ? '' : rule?.redirect?.address ?? ''} />
        <TextInput name="redirect_port" label="Translated port" disabled={!ports || type === 'masquerade'} defaultValue={formatPort(rule?.redirect?.port)} />
      </SimpleGrid>
      <TextInput name="label" label="Label" defaultValue={rule?.label ?? ''} />
      <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormModal>
  );
}
