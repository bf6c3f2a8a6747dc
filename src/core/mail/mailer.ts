import { randomUUID } from 'node:crypto';
import type { RampartConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { sealContext } from '../secrets/sealed-columns.js';
import { mailSealedColumns } from './mail.sealed.js';
import type { MailOutboxRow } from './mail.tables.js';
import { createSmtpTransport, type MailTransport } from './smtp-transport.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** A stored mail as administrators read it: the body opened. */
export interface MailView {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  transport: MailOutboxRow['transport'];
  created_at: string;
  sent_at: string | null;
  error: string | null;
}

/** How far a stored mail got: what a feature shows of the mails it sent (an invitation's email_status). */
export type MailDelivery = Pick<MailOutboxRow, 'id' | 'transport' | 'created_at' | 'sent_at' | 'error'>;

export interface Mailer {
  /**
   * Records the mail (body sealed) and, with [mail] smtp_url set, delivers it once the current transaction
   * commits, so a request that fails sends nothing; the outcome (sent_at or error) lands on the record.
   * Without a mail server the record is the delivery: administrators read it in the outbox.
   */
  send(message: MailMessage): Promise<{ id: string; transport: MailOutboxRow['transport'] }>;
  /** Stored mails, newest first. */
  list(page: { limit: number; offset: number }): Promise<MailView[]>;
  /** The delivery state of these mails (ids not found are left out), without their bodies. */
  deliveries(ids: string[]): Promise<Map<string, MailDelivery>>;
  /** Resolves when every delivery started so far has finished (tests; shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface MailerDeps {
  db: Database;
  secrets: SecretBox;
  config: Pick<RampartConfig, 'mail'>;
  logger: Logger;
  now: () => Date;
  /** Replaces the SMTP transport (tests of failure paths). */
  transport?: MailTransport;
}

const context = sealContext(mailSealedColumns.body);
/** A header value must stay one line: a CR or LF would let input add headers (or recipients). */
const oneLine = /^[^\r\n]+$/;

export function createMailer(deps: MailerDeps): Mailer {
  const { db, secrets, logger, now } = deps;
  const smtpUrl = deps.config.mail.smtp_url.trim();
  const transport = deps.transport ?? (smtpUrl ? createSmtpTransport(smtpUrl) : undefined);
  const inFlight = new Set<Promise<void>>();

  async function deliver(row: MailOutboxRow, text: string): Promise<void> {
    let outcome: Pick<MailOutboxRow, 'sent_at' | 'error'>;
    try {
      await transport!.deliver({ from: deps.config.mail.from, to: row.recipient, subject: row.subject, text });
      outcome = { sent_at: now().toISOString(), error: null };
    } catch (err) {
      logger.warn({ err, mail_id: row.id }, 'mail delivery failed');
      outcome = { sent_at: null, error: (err as Error).message || String(err) };
    }
    await db.kysely.updateTable('mail_outbox').set(outcome).where('id', '=', row.id).execute();
  }

  function track(work: Promise<void>): void {
    const tracked = work.catch((err) => logger.error({ err }, 'could not record a mail delivery')).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  async function idle(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  return {
    async send({ to, subject, text }) {
      if (!oneLine.test(to) || !oneLine.test(subject)) throw errors.validation('a mail recipient and subject must be one line');
      const row: MailOutboxRow = {
        id: randomUUID(),
        recipient: to.trim(),
        subject,
        body_sealed: secrets.seal(text, context),
        transport: transport ? 'smtp' : 'outbox',
        created_at: now().toISOString(),
        sent_at: null,
        error: null,
      };
      await db.kysely.insertInto('mail_outbox').values(row).execute();
      if (transport) db.afterCommit(() => track(deliver(row, text)));
      return { id: row.id, transport: row.transport };
    },

    async list({ limit, offset }) {
      const rows = await db.kysely.selectFrom('mail_outbox').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute();
      return rows.map(({ body_sealed, ...rest }) => ({ ...rest, body: secrets.openString(body_sealed, context) }));
    },

    async deliveries(ids) {
      const wanted = [...new Set(ids)];
      if (wanted.length === 0) return new Map();
      const rows = await db.kysely.selectFrom('mail_outbox').select(['id', 'transport', 'created_at', 'sent_at', 'error']).where('id', 'in', wanted).execute();
      return new Map(rows.map((row) => [row.id, row]));
    },

    idle,

    async close() {
      await idle();
      transport?.close();
    },
  };
}
