import { Alert, Box, Button, Group, NumberInput, Popover, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertTriangle, IconClockShield } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useCan } from '../../../app/auth/session';
import { calls, useCommitConfirm, useEdgeAction, usePending } from '../api';

const KIND_LABELS: Record<string, string> = { firewall: 'Firewall rules', nat: 'NAT', dns: 'DNS' };

/**
 * On top of every edge page: what was written but not applied yet, with Apply (POST /api/v1/reload) and "Apply
 * with commit-confirm" (arms the window first: unless confirmed in time, Rampart puts the configuration back);
 * while a window is open, its countdown and Confirm.
 */
export function PendingBanner() {
  const can = useCan();
  const pending = usePending();
  const window = useCommitConfirm();
  const kinds = Object.keys(KIND_LABELS).filter((k) => (pending.data as Record<string, unknown> | undefined)?.[k] === true).map((k) => KIND_LABELS[k]!);
  return (
    <Stack gap="xs" mb="md">
      {window.data?.active && <CommitConfirmCountdown seconds={window.data.seconds_remaining} description={window.data.description} canConfirm={can('backup:write')} />}
      {kinds.length > 0 && (
        <Box component="section" aria-label="Pending changes">
        <Alert color="blue" icon={<IconAlertTriangle aria-hidden />} title="Changes not applied yet" role="status">
          <Group justify="space-between" wrap="wrap">
            <Text size="sm">Saved but not in effect: {kinds.join(', ')}.</Text>
            {can('rules:write') && <ApplyButtons commitWindowOpen={!!window.data?.active} />}
          </Group>
        </Alert>
        </Box>
      )}
    </Stack>
  );
}

function ApplyButtons({ commitWindowOpen }: { commitWindowOpen: boolean }) {
  const apply = useEdgeAction(() => calls.reload(), (r) => r?.message ?? 'Changes applied.');
  const safe = useEdgeAction(async ({ minutes, description }: { minutes: number; description: string }) => {
    await calls.armCommitConfirm(minutes * 60, description);
    return calls.reload();
  }, 'Applied; confirm before the countdown ends or the previous configuration comes back.');
  const [open, setOpen] = useState(false);
  const [minutes, setMinutes] = useState<number | string>(5);
  const [description, setDescription] = useState('');
  return (
    <Group gap="xs">
      {!commitWindowOpen && (
        <Popover opened={open} onChange={setOpen} position="bottom-end" withArrow trapFocus>
          <Popover.Target>
            <Button variant="default" size="xs" leftSection={<IconClockShield size={14} aria-hidden />} onClick={() => setOpen((o) => !o)}>
              Apply with commit-confirm
            </Button>
          </Popover.Target>
          <Popover.Dropdown>
            <form
              onSubmit={(e) => {
                e.preventDefault();
                setOpen(false);
                safe.mutate({ minutes: Number(minutes) || 5, description: description.trim() || 'applied from the console' });
              }}
            >
              <Stack gap="xs" w={260}>
                <NumberInput label="Revert unless confirmed within (minutes)" min={1} max={60} value={minutes} onChange={setMinutes} />
                <TextInput label="What is changing" value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
                <Button type="submit" size="xs" loading={safe.isPending}>Apply and start the countdown</Button>
              </Stack>
            </form>
          </Popover.Dropdown>
        </Popover>
      )}
      <Button size="xs" loading={apply.isPending} onClick={() => apply.mutate(undefined)}>
        Apply changes
      </Button>
    </Group>
  );
}

/** Counts down locally between the server's answers (every 5 s), so the seconds move. */
function CommitConfirmCountdown({ seconds, description, canConfirm }: { seconds: number; description: string | null; canConfirm: boolean }) {
  const [left, setLeft] = useState(seconds);
  useEffect(() => setLeft(seconds), [seconds]);
  useEffect(() => {
    const t = setInterval(() => setLeft((s) => Math.max(0, s - 1)), 1000);
    return () => clearInterval(t);
  }, []);
  const confirm = useEdgeAction(() => calls.confirmCommit(), (r) => r?.message ?? 'Configuration confirmed; it stays.');
  const mm = Math.floor(left / 60);
  const ss = String(left % 60).padStart(2, '0');
  return (
    <Box component="section" aria-label="Commit-confirm countdown">
    <Alert color="red" icon={<IconClockShield aria-hidden />} title="Commit-confirm: waiting for your confirmation" role="status">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm">
          {description ? `${description}. ` : ''}Unless confirmed, the previous configuration comes back in{' '}
          <Text span fw={700} aria-live="off" data-testid="commit-confirm-remaining">
            {mm}:{ss}
          </Text>
          .
        </Text>
        {canConfirm && (
          <Button size="xs" color="red" loading={confirm.isPending} onClick={() => confirm.mutate(undefined)}>
            Confirm configuration
          </Button>
        )}
      </Group>
    </Alert>
    </Box>
  );
}
