/** One mail Rampart sent or queued. The body is a secret-box ciphertext: invitation mails carry tokens. */
export interface MailOutboxRow {
  id: string;
  recipient: string;
  subject: string;
  /** Sealed text body (mail.sealed.ts). */
  body_sealed: string;
  /** 'smtp' when a mail server was configured at send time, else 'outbox' (kept for administrators to read). */
  transport: 'smtp' | 'outbox';
  created_at: string;
  /** When the SMTP server accepted it; null while queued, after a failure, and for outbox mail. */
  sent_at: string | null;
  /** Why the SMTP delivery failed. */
  error: string | null;
}

declare module '../db/tables.js' {
  interface Tables {
    mail_outbox: MailOutboxRow;
  }
}
