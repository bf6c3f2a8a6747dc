import { NumberInput, TextInput } from '@mantine/core';
import { field, FormModal } from '../../../shared/components/FormModal';
import { hostCalls, useFleetAction, type HostRow } from '../api';

const tagsOf = (form: FormData) =>
  (field(form, 'tags') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** Register a host, or edit one (its hostname stays: it names the host with its environment). */
export function HostForm({ host, opened, onClose }: { host?: HostRow; opened: boolean; onClose: () => void }) {
  const create = useFleetAction(hostCalls.create, (h) => `Host ${h.hostname} registered.`, onClose);
  const update = useFleetAction(hostCalls.update, (h) => `Host ${h.hostname} saved.`, onClose);
  const submit = (form: FormData) => {
    const common = {
      ip_address: field(form, 'ip_address') ?? '',
      port: Number(field(form, 'port') ?? 22),
      environment: field(form, 'environment'),
      display_name: field(form, 'display_name') ?? null,
      username: field(form, 'username') ?? null,
      tags: tagsOf(form),
    };
    if (host) update.mutate({ id: host.id, body: common });
    else create.mutate({ ...common, hostname: field(form, 'hostname') ?? '' });
  };
  return (
    <FormModal title={host ? `Edit ${host.hostname}` : 'Add a host'} opened={opened} onClose={onClose} onSubmit={submit} submitLabel={host ? 'Save host' : 'Add host'} busy={create.isPending || update.isPending}>
      <TextInput name="hostname" label="Hostname" required={!host} disabled={!!host} defaultValue={host?.hostname} data-autofocus />
      <TextInput name="ip_address" label="IP address" required defaultValue={host?.ip_address} />
      <NumberInput name="port" label="SSH port" min={1} max={65535} defaultValue={host?.port ?? 22} />
      <TextInput name="environment" label="Environment" placeholder="production" defaultValue={host?.environment} />
      <TextInput name="display_name" label="Display name" defaultValue={host?.display_name ?? ''} />
      <TextInput name="username" label="SSH user" description="Empty: the credential's user." defaultValue={host?.username ?? ''} />
      <TextInput name="tags" label="Tags" description="Comma-separated." defaultValue={host?.tags.join(', ')} />
    </FormModal>
  );
}
