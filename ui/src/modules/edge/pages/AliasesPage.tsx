import { ActionIcon, Badge, Button, Group, Select, Switch, Textarea, TextInput } from '@mantine/core';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { formatTime } from '../../../shared/format';
import { calls, useAliases, useEdgeAction } from '../api';
import { EdgePage } from '../components/EdgePage';
import type { Alias } from '../model';

const TYPES = [
  { value: 'host', label: 'Hosts', hint: 'One address per line' },
  { value: 'network', label: 'Networks', hint: 'One CIDR per line (10.0.0.0/8): prefixes are kept' },
  { value: 'port', label: 'Ports', hint: 'One port or range per line (443, 8000-8080)' },
  { value: 'url_table', label: 'URL table', hint: 'One URL per line: fetched and refreshed, addresses and CIDRs kept' },
];

/** Named sets of hosts, networks, ports or fetched lists that rules name as <name>. */
export function AliasesPage() {
  const can = useCan();
  const writable = can('aliases:write');
  const list = useAliases();
  const [editing, setEditing] = useState<Alias | 'new' | null>(null);
  const toggle = useEdgeAction((a: Alias) => calls.saveAlias({ aliasId: a.id, body: { name: a.name, alias_type: a.alias_type, entries: a.entries, description: a.description, enabled: !a.enabled } }));
  const remove = useEdgeAction((a: Alias) => calls.deleteAlias(a.id), 'Alias deleted.');
  const columns: Column<Alias>[] = [
    { key: 'name', header: 'Name', render: (a) => <code>&lt;{a.name}&gt;</code> },
    { key: 'type', header: 'Type', render: (a) => <Badge variant="light">{TYPES.find((t) => t.value === a.alias_type)?.label ?? a.alias_type}</Badge> },
    { key: 'entries', header: 'Entries', render: (a) => <span title={a.entries.join('\n')}>{a.entries.slice(0, 3).join(', ')}{a.entries.length > 3 ? ` and ${a.entries.length - 3} more` : ''}</span> },
    { key: 'description', header: 'Description', render: (a) => a.description || '—' },
    { key: 'enabled', header: 'Enabled', render: (a) => <Switch checked={a.enabled} disabled={!writable} onChange={() => toggle.mutate(a)} aria-label={`${a.name} enabled`} /> },
    { key: 'updated', header: 'Updated', render: (a) => formatTime(a.updated_at) },
  ];
  if (writable) {
    columns.push({
      key: 'actions', header: 'Actions', render: (a) => (
        <Group gap={4} wrap="nowrap">
          <ActionIcon variant="subtle" aria-label={`Edit alias ${a.name}`} onClick={() => setEditing(a)}><IconPencil size={16} /></ActionIcon>
          <ActionIcon variant="subtle" color="red" aria-label={`Delete alias ${a.name}`} onClick={() => window.confirm(`Delete the alias ${a.name}?`) && remove.mutate(a)}><IconTrash size={16} /></ActionIcon>
        </Group>
      ),
    });
  }
  return (
    <EdgePage
      title="Aliases"
      description="Named groups of hosts, networks, ports or fetched address lists, for use in rules and NAT as <name>."
      actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>Add alias</Button>}
    >
      <DataTable label="Aliases" columns={columns} rows={list.data} rowKey={(a) => a.id} loading={list.isPending} error={list.error} retry={() => list.refetch()} empty="Group addresses or ports under a name, then use the name in rules." />
      {editing && <AliasForm alias={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </EdgePage>
  );
}

function AliasForm({ alias, onClose }: { alias: Alias | null; onClose: () => void }) {
  const [type, setType] = useState(alias?.alias_type ?? 'host');
  const [enabled, setEnabled] = useState(alias?.enabled ?? true);
  const save = useEdgeAction(calls.saveAlias, alias ? 'Alias saved.' : 'Alias added.');
  const hint = TYPES.find((t) => t.value === type)?.hint;
  return (
    <FormModal
      title={alias ? `Edit alias ${alias.name}` : 'Add alias'}
      opened
      onClose={onClose}
      busy={save.isPending}
      submitLabel={alias ? 'Save alias' : 'Add alias'}
      onSubmit={(form) => {
        const entries = String(form.get('entries') ?? '').split(/\s*\n\s*/).map((s) => s.trim()).filter(Boolean);
        save.mutate({ aliasId: alias?.id, body: { name: field(form, 'name') ?? '', alias_type: type, entries, description: field(form, 'description') ?? null, enabled } }, { onSuccess: onClose });
      }}
    >
      <TextInput name="name" label="Name" description="Letters, digits, _ and - (up to 31)" required defaultValue={alias?.name} maxLength={31} />
      <Select label="Type" data={TYPES} value={type} onChange={(v) => setType((v ?? 'host') as Alias['alias_type'])} allowDeselect={false} />
      <Textarea name="entries" label="Entries" description={hint} autosize minRows={4} defaultValue={alias?.entries.join('\n')} styles={{ input: { fontFamily: 'monospace' } }} />
      <TextInput name="description" label="Description" defaultValue={alias?.description ?? ''} />
      <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormModal>
  );
}
