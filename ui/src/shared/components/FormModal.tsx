import { Button, Group, Modal, Stack } from '@mantine/core';
import type { FormEvent, ReactNode } from 'react';

export interface FormModalProps {
  title: string;
  opened: boolean;
  onClose: () => void;
  /** The form's fields as submitted (named inputs); controlled inputs keep their own state. */
  onSubmit: (form: FormData) => void;
  submitLabel: string;
  busy: boolean;
  /** Red for a destructive submit. */
  danger?: boolean;
  size?: string;
  children: ReactNode;
}

/** A dialog around one form: its fields, Cancel, and the submit button (Enter submits; Escape cancels). */
export function FormModal({ title, opened, onClose, onSubmit, submitLabel, busy, danger, size, children }: FormModalProps) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    onSubmit(new FormData(e.currentTarget));
  };
  return (
    <Modal opened={opened} onClose={onClose} title={title} size={size}>
      <form onSubmit={submit}>
        <Stack>
          {children}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" color={danger ? 'red' : undefined} loading={busy}>{submitLabel}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** A trimmed text field of a submitted form; undefined when left empty, so optional fields are not sent blank. */
export function field(form: FormData, name: string): string | undefined {
  const value = String(form.get(name) ?? '').trim();
  return value === '' ? undefined : value;
}
