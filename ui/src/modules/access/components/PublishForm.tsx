import { MultiSelect, NumberInput, Select, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { field, FormModal } from '../../../shared/components/FormModal';
import { policyCalls, useAccessAction, useDevices, useGroups } from '../api';
import type { Channel, RuleInput } from '../model';

const EXAMPLE: RuleInput[] = [
  { name: 'eng to the web tier', action: 'allow', sources: { group_ids: ['<group id>'] }, destinations: [{ cidr: '10.20.0.0/24', protocol: 'tcp', ports: ['443', '8080'] }] },
];

/** Rules as JSON (the bundle's own form); a parse error is said at once, before anything is sent. */
function parseRules(text: string): RuleInput[] {
  const parsed: unknown = JSON.parse(text);
  const rules = Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown })?.rules;
  if (!Array.isArray(rules)) throw new Error('Rules must be a JSON array (or an object with "rules").');
  return rules as RuleInput[];
}

/** Publishes a bundle to stable, or to a canary subset of devices and groups (with an optional percentage). */
export function PublishForm({ initialRules, onClose }: { initialRules?: RuleInput[]; onClose: () => void }) {
  const [channel, setChannel] = useState<Channel>('stable');
  const [rules, setRules] = useState(JSON.stringify(initialRules ?? EXAMPLE, null, 2));
  const [error, setError] = useState<string | null>(null);
  const [deviceIds, setDeviceIds] = useState<string[]>([]);
  const [groupIds, setGroupIds] = useState<string[]>([]);
  const [percent, setPercent] = useState<number | string>(0);
  const devices = useDevices({ status: 'active' }).data?.items ?? [];
  const groups = useGroups().data ?? [];
  const publish = useAccessAction(policyCalls.publish, (r) => `Bundle #${r.serial} published to ${r.channel}.`, onClose);
  const submit = (f: FormData) => {
    let parsed: RuleInput[];
    try {
      parsed = parseRules(rules);
    } catch (e) {
      return setError((e as Error).message);
    }
    setError(null);
    const notes = field(f, 'notes');
    publish.mutate({
      channel,
      rules: parsed,
      ...(channel === 'canary' ? { canary: { device_ids: deviceIds, group_ids: groupIds, percent: Number(percent) } } : {}),
      ...(notes ? { notes } : {}),
    });
  };
  return (
    <FormModal title="Publish a policy bundle" opened onClose={onClose} onSubmit={submit} submitLabel="Publish" busy={publish.isPending} size="xl">
      <Select label="Channel" data={[{ value: 'stable', label: 'Stable (every device not in a canary)' }, { value: 'canary', label: 'Canary (a chosen subset first)' }]} value={channel} onChange={(v) => setChannel((v as Channel) ?? 'stable')} allowDeselect={false} />
      {channel === 'canary' && (
        <>
          <MultiSelect label="Canary devices" searchable placeholder="None" data={devices.map((d) => ({ value: d.id, label: `${d.name} (${d.overlay_ip})` }))} value={deviceIds} onChange={setDeviceIds} />
          <MultiSelect label="Canary groups" searchable placeholder="None" data={groups.map((g) => ({ value: g.id, label: g.name }))} value={groupIds} onChange={setGroupIds} />
          <NumberInput label="Canary percentage" description="Also this share of the other devices, picked by device id." min={0} max={100} value={percent} onChange={setPercent} />
        </>
      )}
      <Textarea
        label="Rules (JSON)"
        description="Default deny: each rule allows (or denies) its sources to reach its destinations. Fields: name, action, sources {group_ids, user_ids, device_ids}, destinations [{cidr | fqdn, protocol, ports}], require_posture."
        value={rules}
        onChange={(e) => setRules(e.currentTarget.value)}
        autosize
        minRows={8}
        maxRows={20}
        error={error}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        spellCheck={false}
      />
      <TextInput name="notes" label="Notes" description="Why this change (kept with the bundle)." autoComplete="off" />
    </FormModal>
  );
}
