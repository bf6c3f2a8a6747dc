import { Alert, Button, Code, Group, Modal, Stack, Text } from '@mantine/core';
import { CopyButton } from './CopyButton';

/** A secret the server shows once (an API key, a token): copy it now, it will not be shown again. */
export function SecretOnce({ title, secret, onClose }: { title: string; secret: string | null; onClose: () => void }) {
  return (
    <Modal opened={secret !== null} onClose={onClose} title={title} closeOnClickOutside={false}>
      <Stack>
        <Alert color="yellow" title="Copy it now">
          This is the only time Rampart shows it. Store it somewhere safe.
        </Alert>
        <Group wrap="nowrap" gap="xs" align="flex-start">
          <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid="secret-once">
            {secret}
          </Code>
          {secret && <CopyButton value={secret} label="Copy to clipboard" />}
        </Group>
        <Text size="sm" c="dimmed">
          Lost it? Revoke it and make another.
        </Text>
        <Group justify="flex-end">
          <Button onClick={onClose}>I have copied it</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
