import type { ReactNode } from 'react';
import { PageHeader } from '../../../shared/components/PageHeader';
import { PendingBanner } from './PendingBanner';

/** An edge page: its header, then the pending-changes banner (apply, commit-confirm countdown), then the page. */
export function EdgePage({ title, description, actions, children }: { title: string; description?: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <>
      <PageHeader title={title} description={description} actions={actions} />
      <PendingBanner />
      {children}
    </>
  );
}
