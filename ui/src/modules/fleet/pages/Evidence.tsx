import { Code, Stack, Table, Text } from '@mantine/core';
import { PageError, PageLoading } from '../../../shared/components/states';
import { useEvidence } from '../api';

/** What a rule's checks ran on the host and what they saw: command, output, expected and actual values. */
export function Evidence({ scanId, ruleId }: { scanId: string | null | undefined; ruleId: string }) {
  const evidence = useEvidence(scanId, ruleId);
  if (!scanId) return <Text size="sm" c="dimmed">No scan has recorded evidence yet.</Text>;
  if (evidence.error) return <PageError error={evidence.error} retry={() => evidence.refetch()} />;
  if (evidence.isPending) return <PageLoading label={`Loading evidence of ${ruleId}`} />;
  const e = evidence.data!;
  return (
    <Stack gap="xs">
      {e.detail && <Text size="sm">{e.detail}</Text>}
      {e.error && <Text size="sm" c="red">{e.error}</Text>}
      {e.checks.map((c, i) => (
        <Table key={i} withTableBorder aria-label={`Check ${i + 1} of ${ruleId}`}>
          <Table.Tbody>
            <Row label="Method" value={c.method} />
            <Row label="Command" value={c.command} code />
            <Row label="Output" value={[c.stdout, c.stderr].filter(Boolean).join('\n') + (c.truncated ? '\n…(truncated)' : '')} code />
            <Row label="Exit code" value={c.exit_code == null ? '—' : String(c.exit_code)} />
            <Row label="Expected" value={c.expected} code />
            <Row label="Actual" value={c.actual} code />
          </Table.Tbody>
        </Table>
      ))}
    </Stack>
  );
}

function Row({ label, value, code }: { label: string; value: string; code?: boolean }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w={110}>{label}</Table.Th>
      <Table.Td>{code ? <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{value || ' '}</Code> : value}</Table.Td>
    </Table.Tr>
  );
}
