import { Alert, Group, List, Paper, Text } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { useConnectionTruth } from '../api';
import { StatusBadge } from './format';

/**
 * Connection truth: sessions whose gateway and the control plane disagree. revoked_but_connected is the alarm: a
 * gateway still carries a device the control plane denies (a revocation that has not reached it).
 */
export function ConnectionTruthPanel({ deviceName, gatewayName }: { deviceName: (id: string) => string; gatewayName: (id: string) => string }) {
  const truth = useConnectionTruth();
  if (truth.error) return <PageError error={truth.error} retry={() => truth.refetch()} />;
  if (truth.isPending) return <PageLoading label="Loading connection truth" />;
  const odd = truth.data.items.filter((i) => i.verdict !== 'consistent');
  if (odd.length === 0)
    return (
      <Paper withBorder p="sm" role="status">
        <Group gap="xs" wrap="nowrap">
          <IconCircleCheck aria-hidden color="var(--mantine-color-teal-7)" />
          <Text size="sm" fw={600}>Gateways agree with the control plane</Text>
        </Group>
        <Text size="sm" mt={4}>{truth.data.summary.consistent} live sessions, each allowed now. Checked {formatTime(truth.data.generated_at)}.</Text>
      </Paper>
    );
  return (
    <Alert color="red" icon={<IconAlertTriangle aria-hidden />} title={truth.data.alerts > 0 ? `${truth.data.alerts} revoked but still connected` : 'Gateways and the control plane disagree'} role="alert">
      <List size="sm" spacing={4}>
        {odd.map((i) => (
          <List.Item key={i.session_id}>
            <StatusBadge value={i.verdict} /> {deviceName(i.device_id)} on {gatewayName(i.gateway_id)}: expected {i.expected}
            {i.reason ? ` (${i.reason.replace(/_/g, ' ')})` : ''}, gateway reports {i.observed}, last seen {formatTime(i.last_seen_at)}
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}
