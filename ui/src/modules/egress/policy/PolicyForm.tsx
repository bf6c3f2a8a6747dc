import { ActionIcon, Button, Card, Fieldset, Group as Row, Select, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import classes from './PolicyForm.module.css';
import { issuesAt, newGroup, newRule, type Group, type Issue, type PolicyDoc, type Rule } from './doc';

interface Props {
  doc: PolicyDoc;
  issues: Issue[];
  readOnly: boolean;
  onChange: (doc: PolicyDoc) => void;
}

const ACTIONS = ['allow', 'deny'];
const lines = (items: (string | number)[] | undefined) => (items ?? []).join('\n');
const toLines = (text: string) => text.split('\n');
const lower = (v: string | null | undefined) => (v ? v.toLowerCase() : null);

/** The policy as a form: each field shows the server's issues at its path. Rule fields the form lacks are kept as they are. */
export function PolicyForm({ doc, issues, readOnly, onChange }: Props) {
  const setGroup = (gi: number, group: Group) => onChange({ ...doc, source_groups: doc.source_groups.map((g, i) => (i === gi ? group : g)) });
  return (
    <Fieldset disabled={readOnly} variant="unstyled" className={classes.form}>
      <Stack>
        <Select
          label="Default policy"
          description="What happens to traffic no source group claims"
          data={ACTIONS}
          value={lower(doc.default_policy) ?? 'deny'}
          onChange={(v) => onChange({ ...doc, default_policy: v })}
          error={issuesAt(issues, 'policy.default_policy')}
          allowDeselect={false}
          maw={240}
        />
        {doc.source_groups.map((group, gi) => (
          <GroupCard
            key={gi}
            group={group}
            path={`policy.source_groups[${gi}]`}
            issues={issues}
            onChange={(g) => setGroup(gi, g)}
            onRemove={() => onChange({ ...doc, source_groups: doc.source_groups.filter((_, i) => i !== gi) })}
          />
        ))}
        {!readOnly && (
          <Row>
            <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => onChange({ ...doc, source_groups: [...doc.source_groups, newGroup(doc.source_groups.length + 1)] })}>
              Add source group
            </Button>
          </Row>
        )}
      </Stack>
    </Fieldset>
  );
}

function GroupCard({ group, path, issues, onChange, onRemove }: { group: Group; path: string; issues: Issue[]; onChange: (g: Group) => void; onRemove: () => void }) {
  const name = group.id || 'unnamed group';
  const setRule = (ri: number, rule: Rule) => onChange({ ...group, rules: group.rules.map((r, i) => (i === ri ? rule : r)) });
  return (
    <Card withBorder component="section" aria-label={`Source group ${name}`}>
      <Stack gap="sm">
        <Row justify="space-between">
          <Title order={2} size="h4">Source group {name}</Title>
          <ActionIcon variant="subtle" color="red" aria-label={`Remove source group ${name}`} onClick={onRemove}>
            <IconTrash size={16} />
          </ActionIcon>
        </Row>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label="Group ID" value={group.id} onChange={(e) => onChange({ ...group, id: e.currentTarget.value })} error={issuesAt(issues, `${path}.id`)} />
          <Select label="Group mode" data={['enforce', 'audit']} value={lower(group.mode) ?? 'enforce'} onChange={(v) => onChange({ ...group, mode: v })} error={issuesAt(issues, `${path}.mode`)} allowDeselect={false} />
          <Select label="Group default action" data={ACTIONS} value={lower(group.default_action) ?? 'deny'} onChange={(v) => onChange({ ...group, default_action: v })} error={issuesAt(issues, `${path}.default_action`)} allowDeselect={false} />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Textarea label="Source CIDRs" description="One per line" autosize minRows={2} value={lines(group.sources.cidrs)} onChange={(e) => onChange({ ...group, sources: { ...group.sources, cidrs: toLines(e.currentTarget.value) } })} error={issuesAt(issues, `${path}.sources.cidrs`)} />
          <Textarea label="Source IPs" description="One per line" autosize minRows={2} value={lines(group.sources.ips)} onChange={(e) => onChange({ ...group, sources: { ...group.sources, ips: toLines(e.currentTarget.value) } })} error={issuesAt(issues, `${path}.sources.ips`) ?? issuesAt(issues, `${path}.sources`)} />
        </SimpleGrid>
        <Text fw={600} size="sm">Rules</Text>
        {group.rules.length === 0 && <Text size="sm" c="dimmed">No rules: the group's default action decides.</Text>}
        {group.rules.map((rule, ri) => (
          <RuleFields key={ri} group={name} rule={rule} path={`${path}.rules[${ri}]`} issues={issues} onChange={(r) => setRule(ri, r)} onRemove={() => onChange({ ...group, rules: group.rules.filter((_, i) => i !== ri) })} />
        ))}
        <Row>
          <Button size="xs" variant="subtle" leftSection={<IconPlus size={14} />} onClick={() => onChange({ ...group, rules: [...group.rules, newRule(group.rules.length + 1)] })}>
            Add rule to {name}
          </Button>
        </Row>
      </Stack>
    </Card>
  );
}

function RuleFields({ group, rule, path, issues, onChange, onRemove }: { group: string; rule: Rule; path: string; issues: Issue[]; onChange: (r: Rule) => void; onRemove: () => void }) {
  const match = (patch: Partial<Rule['match']>) => onChange({ ...rule, match: { ...rule.match, ...patch } });
  const label = `rule ${rule.id || 'unnamed'} of ${group}`;
  return (
    <Fieldset legend={`Rule ${rule.id || 'unnamed'}`} aria-label={label}>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <TextInput label="Rule ID" value={rule.id} onChange={(e) => onChange({ ...rule, id: e.currentTarget.value })} error={issuesAt(issues, `${path}.id`)} />
        <Select label="Action" data={ACTIONS} value={lower(rule.action)} onChange={(v) => onChange({ ...rule, action: v ?? 'allow' })} error={issuesAt(issues, `${path}.action`)} allowDeselect={false} />
        <TextInput label="DNS hostname (regex)" placeholder="^api\.example\.com$" value={rule.match.dns_hostname ?? ''} onChange={(e) => match({ dns_hostname: e.currentTarget.value })} error={issuesAt(issues, `${path}.match.dns_hostname`)} />
        <Textarea label="Destination CIDRs" description="One per line" autosize minRows={1} value={lines(rule.match.dst_cidrs)} onChange={(e) => match({ dst_cidrs: toLines(e.currentTarget.value) })} error={issuesAt(issues, `${path}.match.dst_cidrs`)} />
        <TextInput label="Protocol" placeholder="tcp, udp, icmp or a number" value={rule.match.proto == null ? '' : String(rule.match.proto)} onChange={(e) => match({ proto: e.currentTarget.value || null })} error={issuesAt(issues, `${path}.match.proto`)} />
        <TextInput label="Destination ports" description="Comma-separated; ranges like 8000-8080" value={(rule.match.dst_ports ?? []).join(', ')} onChange={(e) => match({ dst_ports: e.currentTarget.value.split(',').map((p) => p.trim()) })} error={issuesAt(issues, `${path}.match.dst_ports`) ?? issuesAt(issues, `${path}.match`)} />
      </SimpleGrid>
      <Row justify="flex-end" mt="xs">
        <Button size="xs" variant="subtle" color="red" leftSection={<IconTrash size={14} />} onClick={onRemove} aria-label={`Remove ${label}`}>
          Remove rule
        </Button>
      </Row>
    </Fieldset>
  );
}
