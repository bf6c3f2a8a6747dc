import { ActionIcon, Badge, Button, Checkbox, Group, ScrollArea, Select, SimpleGrid, Switch, Table, Text, TextInput, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconGripVertical, IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { useCan } from '../../../app/auth/session';
import { field, FormModal } from '../../../shared/components/FormModal';
import { EmptyState, PageError, PageLoading } from '../../../shared/components/states';
import { calls, useAliases, useEdgeAction, useInterfaces, useRules, useSchedules } from '../api';
import { EdgePage } from '../components/EdgePage';
import { formatPort, parsePorts, type Rule, type RuleBody } from '../model';

const ACTIONS = [
  { value: 'pass', label: 'Pass' },
  { value: 'block', label: 'Block' },
  { value: 'block_drop', label: 'Block (drop)' },
  { value: 'block_return', label: 'Block (return)' },
];
const PROTOCOLS = ['tcp', 'udp', 'tcp/udp', 'icmp', 'icmp6', 'esp', 'ah', 'gre', 'any'];
const STATES = [
  { value: 'keep_state', label: 'Keep state' },
  { value: 'modulate_state', label: 'Modulate state' },
  { value: 'synproxy_state', label: 'Synproxy' },
  { value: 'none', label: 'None' },
];

const isBlock = (a: string) => a.startsWith('block');
const endpoint = (addr: string, port: Rule['rule_match']['src_port'], invert?: boolean) => `${invert ? '! ' : ''}${addr || 'any'}${port ? `:${formatPort(port)}` : ''}`;

/** The body PUT takes for a rule as it is, with some fields changed (the inline switch sends the whole rule back). */
export function bodyOfRule(rule: Rule, changes: Partial<RuleBody> = {}): RuleBody {
  const m = rule.rule_match;
  return {
    action: rule.action, direction: rule.direction, protocol: rule.protocol, ip_version: rule.ip_version ?? undefined,
    interface: rule.interface ?? undefined, src_addr: m.src_addr, src_port_start: m.src_port?.start ?? null, src_port_end: m.src_port?.end ?? null,
    src_invert: rule.src_invert, dst_addr: m.dst_addr, dst_port_start: m.dst_port?.start ?? null, dst_port_end: m.dst_port?.end ?? null,
    dst_invert: rule.dst_invert, log: rule.log, quick: rule.quick, label: rule.label ?? undefined, description: rule.description ?? undefined,
    schedule_id: rule.schedule_id ?? null, state_tracking: rule.state_options?.tracking ?? 'keep_state', status: rule.status, ...changes,
  };
}

/**
 * Firewall rules in evaluation order (priority, then creation): drag a row by its handle, or focus the handle and
 * press the arrow keys, to move it; the switch turns a rule on or off at once (both leave changes to apply).
 */
export function RulesPage() {
  const can = useCan();
  const writable = can('rules:write');
  const rules = useRules();
  const schedules = useSchedules();
  const interfaces = useInterfaces();
  const [order, setOrder] = useState<Rule[] | null>(null);
  const [filter, setFilter] = useState<string | null>(null);
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [announce, setAnnounce] = useState('');
  const dragged = useRef<string | null>(null);
  useEffect(() => setOrder(rules.data ?? null), [rules.data]);

  const reorder = useEdgeAction((ids: string[]) => calls.reorderRules(ids));
  const toggle = useEdgeAction((rule: Rule) => calls.updateRule(rule.id, bodyOfRule(rule, { status: rule.status === 'active' ? 'disabled' : 'active' })));
  const remove = useEdgeAction((rule: Rule) => calls.deleteRule(rule.id), 'Rule deleted; apply to take it out of the running ruleset.');
  const scheduleName = useMemo(() => new Map((schedules.data ?? []).map((s) => [s.id, s.name])), [schedules.data]);

  const move = (ruleId: string, to: number) => {
    if (!order) return;
    const from = order.findIndex((r) => r.id === ruleId);
    if (from < 0 || to < 0 || to >= order.length || to === from) return;
    const next = [...order];
    const [rule] = next.splice(from, 1);
    next.splice(to, 0, rule!);
    setOrder(next);
    setAnnounce(`Rule ${rule!.label || rule!.id} moved to position ${to + 1} of ${next.length}.`);
    reorder.mutate(next.map((r) => r.id));
  };
  const onHandleKey = (e: KeyboardEvent, rule: Rule, index: number) => {
    const to = e.key === 'ArrowUp' ? index - 1 : e.key === 'ArrowDown' ? index + 1 : e.key === 'Home' ? 0 : e.key === 'End' ? (order?.length ?? 1) - 1 : null;
    if (to === null) return;
    e.preventDefault();
    move(rule.id, to);
    // Keep the focus on the handle of the rule that moved.
    requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-rule-handle="${rule.id}"]`)?.focus());
  };
  const onDrop = (e: DragEvent, index: number) => {
    e.preventDefault();
    if (dragged.current) move(dragged.current, index);
    dragged.current = null;
  };

  const shown = (order ?? []).filter((r) => !filter || (r.interface || 'any') === filter);
  const filtering = filter !== null;
  return (
    <EdgePage
      title="Firewall rules"
      description="Evaluated top to bottom: the first rule that matches decides. Drag a rule by its handle (or focus it and use the arrow keys) to change the order."
      actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>Add rule</Button>}
    >
      <Group mb="sm" align="flex-end">
        <Select
          label="Interface"
          placeholder="All interfaces"
          clearable
          data={['any', ...(interfaces.data ?? []).map((i) => i.name)]}
          value={filter}
          onChange={setFilter}
          w={220}
        />
        {filtering && <Text size="sm" c="dimmed">Reordering works on the full list; clear the filter to move rules.</Text>}
      </Group>
      <div aria-live="polite" className="visually-hidden">{announce}</div>
      {rules.error ? (
        <PageError error={rules.error} retry={() => rules.refetch()} />
      ) : !order ? (
        <PageLoading label="Loading rules" />
      ) : shown.length === 0 ? (
        <EmptyState title="No rules">{filtering ? `No rule names ${filter}.` : 'With no rule, the default policy decides. Add a rule to pass or block traffic.'}</EmptyState>
      ) : (
        <ScrollArea type="auto">
          <Table striped highlightOnHover verticalSpacing="xs" miw={1100} aria-label="Firewall rules">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col"><VisuallyHidden>Move</VisuallyHidden></Table.Th>
                <Table.Th scope="col">#</Table.Th>
                <Table.Th scope="col">On</Table.Th>
                <Table.Th scope="col">Action</Table.Th>
                <Table.Th scope="col">Dir</Table.Th>
                <Table.Th scope="col">Interface</Table.Th>
                <Table.Th scope="col">Proto</Table.Th>
                <Table.Th scope="col">Source</Table.Th>
                <Table.Th scope="col">Destination</Table.Th>
                <Table.Th scope="col">Schedule</Table.Th>
                <Table.Th scope="col">Label</Table.Th>
                {writable && <Table.Th scope="col">Actions</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((rule) => {
                const index = order.findIndex((r) => r.id === rule.id);
                const name = rule.label || rule.description || `rule ${index + 1}`;
                return (
                  <Table.Tr
                    key={rule.id}
                    data-rule-id={rule.id}
                    draggable={writable && !filtering}
                    onDragStart={(e) => { dragged.current = rule.id; e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', rule.id); }}
                    onDragOver={(e) => { if (dragged.current) e.preventDefault(); }}
                    onDrop={(e) => onDrop(e, index)}
                    data-disabled={rule.status === 'active' ? undefined : 'true'}
                  >
                    <Table.Td>
                      {writable && !filtering && (
                        <Tooltip label="Drag, or use the arrow keys">
                          <ActionIcon
                            variant="subtle"
                            color="gray"
                            data-rule-handle={rule.id}
                            aria-label={`Move ${name}, position ${index + 1} of ${order.length}`}
                            aria-keyshortcuts="ArrowUp ArrowDown Home End"
                            onKeyDown={(e) => onHandleKey(e, rule, index)}
                            style={{ cursor: 'grab' }}
                          >
                            <IconGripVertical size={16} />
                          </ActionIcon>
                        </Tooltip>
                      )}
                    </Table.Td>
                    <Table.Td>{index + 1}</Table.Td>
                    <Table.Td>
                      <Switch
                        checked={rule.status === 'active'}
                        disabled={!writable || (toggle.isPending && toggle.variables?.id === rule.id)}
                        onChange={() => toggle.mutate(rule)}
                        aria-label={`${name} enabled`}
                      />
                    </Table.Td>
                    <Table.Td><Badge color={isBlock(rule.action) ? 'red' : 'teal'} variant="light">{rule.action.replace('_', ' ')}</Badge></Table.Td>
                    <Table.Td>{rule.direction}</Table.Td>
                    <Table.Td><code>{rule.interface || 'any'}</code></Table.Td>
                    <Table.Td>{rule.protocol}</Table.Td>
                    <Table.Td><code>{endpoint(rule.rule_match.src_addr, rule.rule_match.src_port, rule.src_invert)}</code></Table.Td>
                    <Table.Td><code>{endpoint(rule.rule_match.dst_addr, rule.rule_match.dst_port, rule.dst_invert)}</code></Table.Td>
                    <Table.Td>{rule.schedule_id ? scheduleName.get(rule.schedule_id) ?? 'unknown schedule' : '—'}</Table.Td>
                    <Table.Td>
                      {rule.label || '—'}
                      {rule.log && <Badge ml={6} size="xs" color="gray">log</Badge>}
                      {rule.status !== 'active' && <Badge ml={6} size="xs" color="gray">off</Badge>}
                    </Table.Td>
                    {writable && (
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <ActionIcon variant="subtle" aria-label={`Edit ${name}`} onClick={() => setEditing(rule)}><IconPencil size={16} /></ActionIcon>
                          <ActionIcon variant="subtle" color="red" aria-label={`Delete ${name}`} onClick={() => window.confirm(`Delete ${name}?`) && remove.mutate(rule)}><IconTrash size={16} /></ActionIcon>
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
      {editing && <RuleForm rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </EdgePage>
  );
}

function RuleForm({ rule, onClose }: { rule: Rule | null; onClose: () => void }) {
  const interfaces = useInterfaces();
  const schedules = useSchedules();
  const aliases = useAliases();
  const [error, setError] = useState<string | null>(null);
  const save = useEdgeAction(
    (body: RuleBody) => (rule ? calls.updateRule(rule.id, body) : calls.createRule(body)),
    rule ? 'Rule saved; apply to put it in effect.' : 'Rule added; apply to put it in effect.',
  );
  const [action, setAction] = useState(rule?.action.replace(/^blockdrop$/, 'block_drop').replace(/^blockreturn$/, 'block_return') ?? 'pass');
  const [direction, setDirection] = useState(rule?.direction ?? 'in');
  const [protocol, setProtocol] = useState(rule?.protocol ?? 'tcp');
  const [iface, setIface] = useState(rule?.interface || 'any');
  const [state, setState] = useState(rule?.state_options?.tracking ?? 'keep_state');
  const [schedule, setSchedule] = useState<string | null>(rule?.schedule_id ?? null);
  const addressHints = (aliases.data ?? []).filter((a) => a.alias_type !== 'port').map((a) => `<${a.name}>`).join(', ');
  const submit = (form: FormData) => {
    try {
      const src = parsePorts(field(form, 'src_port'), 'Source port');
      const dst = parsePorts(field(form, 'dst_port'), 'Destination port');
      const body: RuleBody = {
        action, direction, protocol, interface: iface === 'any' ? undefined : iface,
        src_addr: field(form, 'src_addr') ?? 'any', src_port_start: src.start ?? null, src_port_end: src.end ?? null, src_invert: form.get('src_invert') === 'on',
        dst_addr: field(form, 'dst_addr') ?? 'any', dst_port_start: dst.start ?? null, dst_port_end: dst.end ?? null, dst_invert: form.get('dst_invert') === 'on',
        log: form.get('log') === 'on', quick: true, label: field(form, 'label'), description: field(form, 'description'),
        schedule_id: schedule, state_tracking: state, status: form.get('disabled') === 'on' ? 'disabled' : 'active',
      };
      setError(null);
      save.mutate(body, { onSuccess: onClose });
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const m = rule?.rule_match;
  return (
    <FormModal title={rule ? 'Edit rule' : 'Add rule'} opened onClose={onClose} onSubmit={submit} submitLabel={rule ? 'Save rule' : 'Add rule'} busy={save.isPending} size="xl">
      {error && <Text c="red" size="sm" role="alert">{error}</Text>}
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Select label="Action" data={ACTIONS} value={action} onChange={(v) => setAction(v ?? 'pass')} allowDeselect={false} />
        <Select label="Direction" data={[{ value: 'in', label: 'In' }, { value: 'out', label: 'Out' }, { value: 'any', label: 'Any' }]} value={direction} onChange={(v) => setDirection((v ?? 'in') as Rule['direction'])} allowDeselect={false} />
        <Select label="Interface" data={['any', ...(interfaces.data ?? []).map((i) => i.name)]} value={iface} onChange={(v) => setIface(v ?? 'any')} allowDeselect={false} />
        <Select label="Protocol" data={PROTOCOLS} value={protocol} onChange={(v) => setProtocol(v ?? 'tcp')} allowDeselect={false} />
        <Select label="State tracking" data={STATES} value={state} onChange={(v) => setState(v ?? 'keep_state')} allowDeselect={false} />
        <Select label="Schedule" placeholder="Always" clearable data={(schedules.data ?? []).map((s) => ({ value: s.id, label: s.name }))} value={schedule} onChange={setSchedule} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput name="src_addr" label="Source" description={`any, an address, a CIDR or an alias${addressHints ? ` (${addressHints})` : ''}`} defaultValue={m?.src_addr ?? 'any'} />
        <TextInput name="src_port" label="Source port" description="A port or a range (8000-8080); empty: any" defaultValue={formatPort(m?.src_port)} />
        <TextInput name="dst_addr" label="Destination" description="any, an address, a CIDR or an alias" defaultValue={m?.dst_addr ?? 'any'} />
        <TextInput name="dst_port" label="Destination port" description="A port or a range; empty: any" defaultValue={formatPort(m?.dst_port)} />
      </SimpleGrid>
      <Group>
        <Checkbox name="src_invert" label="Not this source" defaultChecked={rule?.src_invert ?? false} />
        <Checkbox name="dst_invert" label="Not this destination" defaultChecked={rule?.dst_invert ?? false} />
        <Checkbox name="log" label="Log matches" defaultChecked={rule?.log ?? false} />
        <Checkbox name="disabled" label="Disabled" defaultChecked={rule?.status === 'disabled'} />
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput name="label" label="Label" defaultValue={rule?.label ?? ''} />
        <TextInput name="description" label="Description" defaultValue={rule?.description ?? ''} />
      </SimpleGrid>
    </FormModal>
  );
}
