import { Button, Checkbox, Group, Menu, Select, Text, TextInput, Textarea } from '@mantine/core';
import { IconChevronDown } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { deviceCalls, useAccessAction, useDevices, useUserNames, type DeviceFilters } from '../api';
import { OPTIONS, StatusBadge } from '../components/format';
import { CursorPager, useCursor, useUrlFilters } from '../components/paging';
import type { Channel, Device, DeviceAction } from '../model';

const FILTERS = ['status', 'platform', 'posture', 'channel', 'q'] as const;

/** What each lifecycle action may apply to (the server decides; the console only offers what makes sense). */
const ALLOWED: Record<Exclude<DeviceAction, 'set_channel'>, (d: Device) => boolean> = {
  approve: (d) => d.status === 'pending',
  suspend: (d) => d.status === 'active' || d.status === 'pending',
  reactivate: (d) => d.status === 'suspended',
  revoke: (d) => d.status !== 'revoked',
};
const VERB: Record<DeviceAction, string> = { approve: 'Approve', suspend: 'Suspend', reactivate: 'Reactivate', revoke: 'Revoke', set_channel: 'Move' };

interface Pending {
  action: DeviceAction;
  devices: Device[];
  channel?: Channel;
}

/** Enrolled devices: filters in the address, lifecycle actions one by one or on a selection. */
export function DevicesPage() {
  const can = useCan();
  const writable = can('access_device:write');
  const pager = useCursor();
  const { filters, set } = useUrlFilters(FILTERS, pager.reset);
  const devices = useDevices(filters as DeviceFilters, pager.cursor);
  const { names } = useUserNames();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<Pending | null>(null);
  const rows = devices.data?.items;
  const chosen = (rows ?? []).filter((d) => selected.has(d.id));
  const toggle = (id: string, on: boolean) => setSelected((s) => { const n = new Set(s); if (on) n.add(id); else n.delete(id); return n; });

  const columns: Column<Device>[] = [
    {
      key: 'name',
      header: 'Device',
      render: (d) => (
        <>
          <Text size="sm" fw={500}>{d.name}</Text>
          <Text size="xs" c="dimmed"><code>{d.overlay_ip}</code>{d.user_id ? ` · ${names(d.user_id)}` : ''}</Text>
        </>
      ),
    },
    {
      key: 'platform',
      header: 'Platform',
      render: (d) => (
        <>
          <Text size="sm">{d.platform}</Text>
          {d.os_version && <Text size="xs" c="dimmed" maw={160} truncate="end" title={d.os_version}>{d.os_version}</Text>}
        </>
      ),
    },
    { key: 'status', header: 'Status', render: (d) => <StatusBadge value={d.status} /> },
    { key: 'channel', header: 'Channel', render: (d) => <StatusBadge value={d.channel} /> },
    { key: 'posture', header: 'Posture', render: (d) => <StatusBadge value={d.posture?.verdict ?? 'unknown'} /> },
    { key: 'seen', header: 'Last seen', render: (d) => formatTime(d.last_seen_at) },
  ];
  if (writable) {
    columns.unshift({ key: 'select', header: 'Select', render: (d) => <Checkbox aria-label={`Select ${d.name}`} checked={selected.has(d.id)} onChange={(e) => toggle(d.id, e.currentTarget.checked)} /> });
    columns.push({ key: 'actions', header: 'Actions', render: (d) => <DeviceMenu device={d} onPick={(action, channel) => setPending({ action, devices: [d], channel })} /> });
  }

  return (
    <>
      <PageHeader
        title="Devices"
        description="Devices enrolled for zero-trust access. Suspending or revoking one cuts its tunnels within seconds."
        actions={writable && chosen.length > 0 && <BatchMenu count={chosen.length} onPick={(action, channel) => setPending({ action, devices: chosen, channel })} />}
      />
      <DataTable
        label="Devices"
        columns={columns}
        rows={rows}
        rowKey={(d) => d.id}
        loading={devices.isPending}
        error={devices.error}
        retry={() => devices.refetch()}
        filters={
          <>
            <TextInput label="Search" placeholder="Name, serial or IP" defaultValue={filters.q} onChange={(e) => set('q', e.currentTarget.value.trim())} />
            <Select label="Status" placeholder="All" clearable data={[...OPTIONS.deviceStatus]} value={filters.status ?? null} onChange={(v) => set('status', v)} />
            <Select label="Platform" placeholder="All" clearable data={[...OPTIONS.platform]} value={filters.platform ?? null} onChange={(v) => set('platform', v)} />
            <Select label="Posture" placeholder="All" clearable data={[...OPTIONS.verdict]} value={filters.posture ?? null} onChange={(v) => set('posture', v)} />
            <Select label="Channel" placeholder="All" clearable data={[...OPTIONS.channel]} value={filters.channel ?? null} onChange={(v) => set('channel', v)} />
          </>
        }
        empty={Object.values(filters).some(Boolean) ? 'No device matches these filters.' : 'Generate an enrollment token and run the command it shows on a device.'}
      />
      <CursorPager label="Devices" page={pager.page} next={devices.data?.next_cursor} onNext={pager.next} onPrev={pager.prev} />
      {pending && <ConfirmLifecycle pending={pending} onClose={() => setPending(null)} onDone={() => setSelected(new Set())} />}
    </>
  );
}

function DeviceMenu({ device, onPick }: { device: Device; onPick: (a: DeviceAction, channel?: Channel) => void }) {
  const other: Channel = device.channel === 'canary' ? 'stable' : 'canary';
  // Revoked is terminal: the device must enrol again.
  if (device.status === 'revoked') return null;
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button size="compact-sm" variant="subtle" rightSection={<IconChevronDown size={14} />} aria-label={`Actions for ${device.name}`}>
          Actions
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {(['approve', 'suspend', 'reactivate', 'revoke'] as const).filter((a) => ALLOWED[a](device)).map((a) => (
          <Menu.Item key={a} color={a === 'revoke' ? 'red' : undefined} onClick={() => onPick(a)}>{VERB[a]}</Menu.Item>
        ))}
        <Menu.Item onClick={() => onPick('set_channel', other)}>Move to {other}</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

function BatchMenu({ count, onPick }: { count: number; onPick: (a: DeviceAction, channel?: Channel) => void }) {
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button rightSection={<IconChevronDown size={14} />}>{`${count} selected`}</Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => onPick('suspend')}>Suspend</Menu.Item>
        <Menu.Item onClick={() => onPick('reactivate')}>Reactivate</Menu.Item>
        <Menu.Item color="red" onClick={() => onPick('revoke')}>Revoke</Menu.Item>
        <Menu.Item onClick={() => onPick('set_channel', 'canary')}>Move to canary</Menu.Item>
        <Menu.Item onClick={() => onPick('set_channel', 'stable')}>Move to stable</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

/** Every lifecycle change asks for a reason (it goes to the audit trail); revoke says it cannot be undone. */
function ConfirmLifecycle({ pending, onClose, onDone }: { pending: Pending; onClose: () => void; onDone: () => void }) {
  const { action, devices, channel } = pending;
  const one = devices.length === 1 ? devices[0] : undefined;
  const what = one ? one.name : `${devices.length} devices`;
  const verb = action === 'set_channel' ? `Move ${what} to ${channel}` : `${VERB[action]} ${what}`;
  const run = useAccessAction(
    async (reason: string | undefined) => {
      if (one) return void (await deviceCalls.lifecycle({ action, device_id: one.id, reason, channel }));
      const { results } = await deviceCalls.batch({ action, device_ids: devices.map((d) => d.id), reason, channel });
      const failed = results.filter((r) => !r.ok);
      if (failed.length) throw new Error(`${failed.length} of ${results.length} not done: ${failed.map((f) => f.error?.detail).join('; ')}`);
    },
    `${verb}: done.`,
    () => { onDone(); onClose(); },
  );
  return (
    <FormModal title={`${verb}?`} opened onClose={onClose} onSubmit={(f) => run.mutate(field(f, 'reason'))} submitLabel={action === 'set_channel' ? 'Move' : VERB[action]} busy={run.isPending} danger={action === 'revoke' || action === 'suspend'}>
      <Group>
        <Text size="sm">
          {action === 'revoke' && 'A revoked device cannot come back: it must enrol again. '}
          {action === 'suspend' && 'A suspended device loses access until it is reactivated. '}
          {action === 'set_channel' && `The device gets the ${channel} policy bundle at its next pull. `}
        </Text>
      </Group>
      <Textarea name="reason" label="Reason" description="Recorded in the audit trail." autosize minRows={2} data-autofocus />
    </FormModal>
  );
}
