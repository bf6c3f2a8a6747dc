import { ActionIcon, Box, Button, Checkbox, Group, Paper, ScrollArea, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { DataTable, type Column } from '../../../shared/components/DataTable';
import { field, FormModal } from '../../../shared/components/FormModal';
import { calls, useEdgeAction, useSchedules } from '../api';
import { EdgePage } from '../components/EdgePage';
import { daysOf, rangesOf, WEEK, type Schedule } from '../model';

const DAY_NAMES: Record<string, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
const COLORS = ['blue', 'grape', 'teal', 'orange', 'pink', 'cyan', 'lime', 'indigo'];
const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** The blocks a schedule draws on one day: a range that ends before it starts runs past midnight into the next day. */
export function blocksOn(s: Schedule, day: string): Array<{ from: number; to: number; range: string }> {
  const days = daysOf(s);
  const prev = WEEK[(WEEK.indexOf(day as (typeof WEEK)[number]) + 6) % 7]!;
  const out: Array<{ from: number; to: number; range: string }> = [];
  for (const range of rangesOf(s)) {
    const [a, b] = range.split('-');
    if (!a || !b) continue;
    const from = minutes(a);
    const to = minutes(b);
    if (to > from) {
      if (days.includes(day)) out.push({ from, to, range });
    } else {
      if (days.includes(day)) out.push({ from, to: 24 * 60, range });
      if (days.includes(prev) && to > 0) out.push({ from: 0, to, range });
    }
  }
  return out;
}

/** Time windows rules can be tied to: a rule with a schedule passes or blocks only inside its windows (enforced). */
export function SchedulesPage() {
  const can = useCan();
  const writable = can('rules:write');
  const list = useSchedules();
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const toggle = useEdgeAction((s: Schedule) => calls.saveSchedule({ scheduleId: s.id, body: { name: s.name, description: s.description ?? undefined, time_ranges: rangesOf(s), days_of_week: daysOf(s), enabled: !s.enabled } }));
  const remove = useEdgeAction((s: Schedule) => calls.deleteSchedule(s.id), 'Schedule deleted; rules that used it no longer have one.');
  const columns: Column<Schedule>[] = [
    { key: 'name', header: 'Name', render: (s) => <Stack gap={0}><Text size="sm" fw={600}>{s.name}</Text>{s.description && <Text size="xs" c="dimmed">{s.description}</Text>}</Stack> },
    { key: 'ranges', header: 'Time ranges', render: (s) => <code>{rangesOf(s).join(', ')}</code> },
    { key: 'days', header: 'Days', render: (s) => daysOf(s).length === 7 ? 'Every day' : daysOf(s).map((d) => d[0]!.toUpperCase() + d.slice(1)).join(', ') },
    { key: 'enabled', header: 'Enabled', render: (s) => <Switch checked={s.enabled} disabled={!writable} onChange={() => toggle.mutate(s)} aria-label={`${s.name} enabled`} /> },
  ];
  if (writable) {
    columns.push({
      key: 'actions', header: 'Actions', render: (s) => (
        <Group gap={4} wrap="nowrap">
          <ActionIcon variant="subtle" aria-label={`Edit schedule ${s.name}`} onClick={() => setEditing(s)}><IconPencil size={16} /></ActionIcon>
          <ActionIcon variant="subtle" color="red" aria-label={`Delete schedule ${s.name}`} onClick={() => window.confirm(`Delete the schedule ${s.name}?`) && remove.mutate(s)}><IconTrash size={16} /></ActionIcon>
        </Group>
      ),
    });
  }
  return (
    <EdgePage
      title="Schedules"
      description="Time windows for rules. Rampart enforces them: a scheduled rule is in the ruleset only inside its windows, across midnight and clock changes."
      actions={writable && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>Add schedule</Button>}
    >
      <Stack>
        <DataTable label="Schedules" columns={columns} rows={list.data} rowKey={(s) => s.id} loading={list.isPending} error={list.error} retry={() => list.refetch()} empty="Create a schedule, then pick it on a rule to limit the rule to those hours." />
        {list.data && list.data.length > 0 && <WeekView schedules={list.data} />}
      </Stack>
      {editing && <ScheduleForm schedule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </EdgePage>
  );
}

/** Monday to Sunday, midnight to midnight: each enabled schedule's windows as blocks (disabled ones faded). */
function WeekView({ schedules }: { schedules: Schedule[] }) {
  const hours = [0, 6, 12, 18, 24];
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="week-view-title">
      <Title order={2} size="h4" id="week-view-title" mb="sm">Week view</Title>
      <Group gap="xs" mb="sm">
        {schedules.map((s, i) => (
          <Group key={s.id} gap={4}>
            <Box w={12} h={12} bg={`${COLORS[i % COLORS.length]}.6`} style={{ borderRadius: 2, opacity: s.enabled ? 1 : 0.35 }} aria-hidden />
            <Text size="xs">{s.name}{s.enabled ? '' : ' (disabled)'}</Text>
          </Group>
        ))}
      </Group>
      <ScrollArea type="auto">
        <Box miw={640}>
          <Group gap={0} wrap="nowrap" ml={90} aria-hidden>
            {hours.slice(0, -1).map((h) => <Text key={h} size="xs" c="dimmed" style={{ flex: 1 }}>{String(h).padStart(2, '0')}:00</Text>)}
          </Group>
          {WEEK.map((day) => (
            <Group key={day} gap={0} wrap="nowrap" mb={4}>
              <Text size="sm" w={90}>{DAY_NAMES[day]}</Text>
              <Box pos="relative" h={22} style={{ flex: 1, background: 'var(--mantine-color-default-hover)', borderRadius: 3 }} role="list" aria-label={`${DAY_NAMES[day]} windows`}>
                {schedules.flatMap((s, i) => blocksOn(s, day).map((b, k) => (
                  <Box
                    key={`${s.id}-${k}`}
                    role="listitem"
                    aria-label={`${s.name}: ${hhmm(b.from)} to ${hhmm(b.to)}${s.enabled ? '' : ' (disabled)'}`}
                    title={`${s.name}: ${b.range}`}
                    pos="absolute"
                    top={2 + (i % 3) * 6}
                    h={6}
                    bg={`${COLORS[i % COLORS.length]}.6`}
                    style={{ left: `${(b.from / 1440) * 100}%`, width: `${((b.to - b.from) / 1440) * 100}%`, borderRadius: 2, opacity: s.enabled ? 1 : 0.35 }}
                  />
                )))}
              </Box>
            </Group>
          ))}
        </Box>
      </ScrollArea>
    </Paper>
  );
}

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

function ScheduleForm({ schedule, onClose }: { schedule: Schedule | null; onClose: () => void }) {
  const [days, setDays] = useState<string[]>(schedule ? daysOf(schedule) : ['mon', 'tue', 'wed', 'thu', 'fri']);
  const [enabled, setEnabled] = useState(schedule?.enabled ?? true);
  const [error, setError] = useState<string | null>(null);
  const save = useEdgeAction(calls.saveSchedule, schedule ? 'Schedule saved.' : 'Schedule added.');
  return (
    <FormModal
      title={schedule ? `Edit schedule ${schedule.name}` : 'Add schedule'}
      opened
      onClose={onClose}
      busy={save.isPending}
      submitLabel={schedule ? 'Save schedule' : 'Add schedule'}
      onSubmit={(form) => {
        const ranges = String(form.get('time_ranges') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const bad = ranges.find((r) => !/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]|24):[0-5]\d$/.test(r));
        if (!ranges.length || bad) return setError(bad ? `${bad} is not HH:MM-HH:MM` : 'At least one time range');
        if (!days.length) return setError('At least one day');
        setError(null);
        save.mutate({ scheduleId: schedule?.id, body: { name: field(form, 'name') ?? '', description: field(form, 'description'), time_ranges: ranges, days_of_week: days, enabled } }, { onSuccess: onClose });
      }}
    >
      {error && <Text c="red" size="sm" role="alert">{error}</Text>}
      <TextInput name="name" label="Name" required defaultValue={schedule?.name} />
      <TextInput name="description" label="Description" defaultValue={schedule?.description ?? ''} />
      <TextInput name="time_ranges" label="Time ranges" description="HH:MM-HH:MM, comma separated; 22:00-06:00 runs past midnight" required defaultValue={schedule ? rangesOf(schedule).join(', ') : '08:00-17:00'} />
      <Checkbox.Group label="Days" value={days} onChange={setDays}>
        <Group gap="md" mt={4}>
          {WEEK.map((d) => <Checkbox key={d} value={d} label={DAY_NAMES[d]!.slice(0, 3)} />)}
        </Group>
      </Checkbox.Group>
      <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
    </FormModal>
  );
}
