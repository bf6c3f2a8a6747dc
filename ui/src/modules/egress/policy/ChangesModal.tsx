import { Alert, Badge, Button, Group, List, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export interface Changes {
  default_policy: { from: string | null; to: string | null } | null;
  groups_added: string[];
  groups_removed: string[];
  groups_changed: { id: string; fields: string[]; rules_added: string[]; rules_removed: string[]; rules_changed: string[] }[];
}

const ids = (items: string[]) => items.map((i) => <code key={i}>{i} </code>);

/** The dry run's answer: what saving would change in the enforced policy, confirmed before the write. */
export function ChangesModal({ changes, saving, onSave, onClose }: { changes: Changes; saving: boolean; onSave: () => void; onClose: () => void }) {
  const lines: ReactNode[] = [];
  if (changes.default_policy) lines.push(<>Default policy: <Badge variant="light">{changes.default_policy.from}</Badge> → <Badge>{changes.default_policy.to}</Badge></>);
  if (changes.groups_added.length) lines.push(<>Source groups added: {ids(changes.groups_added)}</>);
  if (changes.groups_removed.length) lines.push(<>Source groups removed: {ids(changes.groups_removed)}</>);
  for (const g of changes.groups_changed) {
    const parts = [
      g.fields.length ? `fields ${g.fields.join(', ')}` : '',
      g.rules_added.length ? `rules added: ${g.rules_added.join(', ')}` : '',
      g.rules_removed.length ? `rules removed: ${g.rules_removed.join(', ')}` : '',
      g.rules_changed.length ? `rules changed: ${g.rules_changed.join(', ')}` : '',
    ].filter(Boolean);
    lines.push(<>Source group <code>{g.id}</code>: {parts.join('; ')}</>);
  }
  return (
    <Modal opened onClose={onClose} title="Review changes" size="lg">
      <Stack>
        {lines.length === 0 ? (
          <Alert color="gray">Nothing changes: the gateway already enforces this policy.</Alert>
        ) : (
          <>
            <Text size="sm">Saving replaces the policy the gateway enforces. The check found no problem; these are the changes:</Text>
            <List spacing="xs" aria-label="Changes">
              {lines.map((line, i) => <List.Item key={i}>{line}</List.Item>)}
            </List>
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Keep editing</Button>
          <Button onClick={onSave} loading={saving} disabled={lines.length === 0}>Save policy</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
