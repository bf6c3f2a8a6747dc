import { Alert, Button, Code, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { QRCodeSVG } from 'qrcode.react';
import { useEffect } from 'react';
import { data, overlay } from '../../../app/api/client';
import { CopyButton } from '../../../shared/components/CopyButton';
import { PageError, PageLoading } from '../../../shared/components/states';
import { formatTime } from '../../../shared/format';
import { enrollCommand, type OverlayNode } from '../api';

/** Makes a one-time enrolment code as it opens, and shows the agent command to run on the device, as text and QR. */
export function EnrollModal({ node, onClose }: { node: OverlayNode; onClose: () => void }) {
  const code = useMutation({ mutationFn: () => data(overlay.POST('/api/device/enrollment-codes', { body: { node_id: node.id } })) });
  const make = code.mutate;
  useEffect(() => make(), [make]);
  const command = code.data ? enrollCommand(code.data.code) : '';
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={onClose} title={`Enrol ${node.hostname}`} size="lg">
      {code.isError ? (
        <PageError error={code.error} retry={() => code.mutate()} />
      ) : !code.data ? (
        <PageLoading label="Making an enrolment code" />
      ) : (
        <Stack>
          <Text size="sm">Run this on the device (as root, where nebula is installed). The code works once, until {formatTime(code.data.expires_at)}.</Text>
          <Group gap="xs" wrap="nowrap" align="flex-start">
            <Code block style={{ flex: 1, whiteSpace: 'pre-wrap', wordBreak: 'break-all' }} data-testid="enroll-command">{command}</Code>
            <CopyButton value={command} label="Copy the command" />
          </Group>
          <Group gap="xs">
            <Text size="sm">Code:</Text>
            <Code data-testid="enroll-code">{code.data.code}</Code>
            <CopyButton value={code.data.code} label="Copy the code" />
          </Group>
          <Group justify="center">
            <QRCodeSVG value={command} size={180} marginSize={2} title={`QR code of the enrolment command for ${node.hostname}`} role="img" />
          </Group>
          <Alert color="blue" variant="light">
            A server with a self-signed certificate needs <Code>--ca-file</Code> with its certificate (or <Code>--insecure</Code> on a test bench).
            Then <Code>rampart agent overlay run</Code> keeps the node's config current.
          </Alert>
          <Group justify="flex-end">
            <Button onClick={onClose} data-autofocus>Done</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
