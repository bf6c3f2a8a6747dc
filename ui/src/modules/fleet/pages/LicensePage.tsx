import { Alert, Badge, Button, Group, Stack, Table, Text, Textarea } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { useCan } from '../../../app/auth/session';
import { PageHeader } from '../../../shared/components/PageHeader';
import { formatTime } from '../../../shared/format';
import { licenseCalls, useFleetAction, useLicense } from '../api';
import { StateBadge } from '../format';
import { Panel } from './Panel';

/** The fleet license: tier, status, features; verify a license token before installing it. */
export function LicensePage() {
  const can = useCan();
  const license = useLicense();
  return (
    <>
      <PageHeader title="License" description="Enterprise features need an active license; the free tier covers the rest." />
      <Stack>
        <Panel title="Current license" query={license}>
          {() => {
            const l = license.data!;
            const rows: [string, ReactNode][] = [
              ['Tier', <Badge key="t" variant="light">{l.tier}</Badge>],
              ['Status', <StateBadge key="s" value={l.status} />],
              ['Customer', l.customer_id ?? '—'],
              ['Expires', formatTime(l.expires_at)],
              ['Installed', formatTime(l.installed_at)],
              ['Features', l.features.length ? l.features.join(', ') : 'none beyond the free tier'],
            ];
            return (
              <Table aria-label="License">
                <Table.Tbody>
                  {rows.map(([k, v]) => (
                    <Table.Tr key={k}>
                      <Table.Th scope="row" w={140}>{k}</Table.Th>
                      <Table.Td>{v}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            );
          }}
        </Panel>
        {can('system:read') && <InstallLicense canInstall={can('license:install')} />}
      </Stack>
    </>
  );
}

function InstallLicense({ canInstall }: { canInstall: boolean }) {
  const [token, setToken] = useState('');
  const [verdict, setVerdict] = useState<string | null>(null);
  const verify = useFleetAction(licenseCalls.verify, (r) => `Verification: ${r.verify_result.replace(/_/g, ' ')}.`, (r) => setVerdict(r.verify_result));
  const install = useFleetAction(licenseCalls.install, (l) => `License installed: ${l.tier}, ${l.status}.`, () => setToken(''));
  return (
    <Panel title="Verify or install a license" query={{ error: null, isPending: false, refetch: () => undefined }}>
      {() => (
        <Stack>
          <Textarea label="License token" description="The signed token from your license file." value={token} onChange={(e) => { setToken(e.currentTarget.value); setVerdict(null); }} autosize minRows={3} styles={{ input: { fontFamily: 'monospace' } }} />
          {verdict && <Alert color={verdict === 'valid' ? 'teal' : 'red'} role="status">{verdict === 'valid' ? 'The license is valid.' : `Not valid: ${verdict.replace(/_/g, ' ')}.`}</Alert>}
          <Group>
            <Button variant="default" disabled={!token.trim()} loading={verify.isPending} onClick={() => verify.mutate(token.trim())}>Verify</Button>
            {canInstall && <Button disabled={!token.trim()} loading={install.isPending} onClick={() => install.mutate(token.trim())}>Install</Button>}
          </Group>
          <Text size="xs" c="dimmed">Verifying changes nothing; installing replaces the current license.</Text>
        </Stack>
      )}
    </Panel>
  );
}
