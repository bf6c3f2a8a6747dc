import type { SealedColumn } from '../secrets/sealed-columns.js';

/** The mail outbox's sealed column; `rampart secrets rotate` re-encrypts it. */
export const mailSealedColumns = {
  body: { table: 'mail_outbox', column: 'body_sealed' },
} satisfies Record<string, SealedColumn>;
