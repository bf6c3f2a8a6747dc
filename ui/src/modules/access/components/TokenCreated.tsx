import { Alert, Button, Code, Group, Modal, Stack, Text } from '@mantine/core';
import { CopyButton } from '../../../shared/components/CopyButton';
import { enrollCommand } from '../api';
import type { GeneratedToken } from '../model';

/** The token the server shows once, and the command that enrols with it: copy them now. */
export function TokenCreated({ token, listenPort, onClose }: { token: GeneratedToken | null; listenPort?: number; onClose: () => void }) {
  const command = token ? enrollCommand(token.kind, token.secret, listenPort) : '';
  return (
    <Modal opened={token !== null} onClose={onClose} title="Enrollment token generated" closeOnClickOutside={false} size="lg">
      {token && (
        <Stack>
          <Alert color="yellow" title="Copy it now">
            This is the only time Rampart shows the token. Run the command on the {token.kind} to enrol it{token.kind === 'gateway' ? ', with the address devices reach it at' : ''}.
          </Alert>
          <Text size="sm" fw={600} id="enroll-command-label">Enrol command</Text>
          <Group wrap="nowrap" gap="xs" align="flex-start">
            <Code block aria-labelledby="enroll-command-label" data-testid="enroll-command" style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
              {command}
            </Code>
            <CopyButton value={command} label="Copy the enrol command" />
          </Group>
          <Text size="sm" fw={600} id="token-label">Token</Text>
          <Group wrap="nowrap" gap="xs" align="flex-start">
            <Code block aria-labelledby="token-label" data-testid="secret-once" style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
              {token.secret}
            </Code>
            <CopyButton value={token.secret} label="Copy the token" />
          </Group>
          <Text size="sm" c="dimmed">
            {token.max_uses === 0 ? 'Unlimited uses' : `${token.max_uses} use${token.max_uses === 1 ? '' : 's'}`}, until {new Date(token.expires_at).toLocaleString()}. Lost it? Revoke it and generate another.
          </Text>
          <Group justify="flex-end">
            <Button onClick={onClose}>I have copied it</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
