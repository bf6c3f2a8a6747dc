import { ActionIcon, Button, Checkbox, Group, Menu, Modal, NumberInput, Stack, Text, TextInput } from '@mantine/core';
import { IconDots } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { overlay } from '../../../app/api/client';
import { useOverlayAction, type Network } from '../api';

/** Edit and CA rotation: owners only (the server checks too); members see no menu. */
export function NetworkActions({ network }: { network: Network }) {
  const [open, setOpen] = useState<'edit' | 'rotate' | null>(null);
  if (network.role !== 'owner') return null;
  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <ActionIcon variant="subtle" aria-label={`Actions for ${network.name}`}>
            <IconDots size={16} />
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Item onClick={() => setOpen('edit')}>Edit</Menu.Item>
          <Menu.Item color="orange" onClick={() => setOpen('rotate')}>Rotate CA</Menu.Item>
        </Menu.Dropdown>
      </Menu>
      {open === 'edit' && <EditNetworkModal network={network} onClose={() => setOpen(null)} />}
      {open === 'rotate' && <RotateCaModal network={network} onClose={() => setOpen(null)} />}
    </>
  );
}

function RotateCaModal({ network, onClose }: { network: Network; onClose: () => void }) {
  const rotate = useOverlayAction(() => overlay.POST('/api/networks/{network_id}/ca/rotate', { params: { path: { network_id: network.id } } }), 'A new CA is active; node certificates are reissued.');
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Rotate the CA of ${network.name}`}>
      <Stack>
        <Text size="sm">
          A new CA becomes active and every certificate whose key Rampart holds is signed again. The old CA stays trusted until it
          expires, so nodes keep talking while they fetch their new config.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} data-autofocus>Cancel</Button>
          <Button color="orange" loading={rotate.isPending} onClick={() => rotate.mutate(undefined, { onSuccess: onClose })}>Rotate CA</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function EditNetworkModal({ network, onClose }: { network: Network; onClose: () => void }) {
  const [days, setDays] = useState<number | string>(network.default_cert_days);
  const save = useOverlayAction(
    (body: { name: string; auto_approve_nodes: boolean; default_cert_days: number }) => overlay.PATCH('/api/networks/{network_id}', { params: { path: { network_id: network.id } }, body }),
    'Network saved.',
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    save.mutate({ name: String(f.get('name')).trim(), auto_approve_nodes: f.get('auto_approve_nodes') === 'on', default_cert_days: Number(days) }, { onSuccess: onClose });
  };
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Edit ${network.name}`}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput name="name" label="Name" required defaultValue={network.name} autoComplete="off" data-autofocus />
          <NumberInput label="Certificate lifetime (days)" description="For certificates issued from now on." min={1} max={36500} value={days} onChange={setDays} required />
          <Checkbox name="auto_approve_nodes" label="Approve node requests of members automatically" defaultChecked={network.auto_approve_nodes} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={save.isPending}>Save</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
