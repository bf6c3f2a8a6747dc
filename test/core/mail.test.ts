import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';

const message = { to: 'ada@example.com', subject: 'Your link', text: 'Open https://console.example/invitations/s3cr3t-token to join.' };

describe('core mail: the outbox when no SMTP server is configured', () => {
  let r: TestRampart;
  let clock = Date.parse('2026-06-10T10:00:00Z');
  before(async () => {
    r = await createTestRampart({ now: () => new Date((clock += 1000)) });
  });
  after(() => r.cleanup());

  test('a mail is stored with its body sealed and read back opened, newest first', async () => {
    const queued = await r.core.mail.send(message);
    assert.equal(queued.transport, 'outbox');
    await r.core.mail.send({ ...message, subject: 'Second' });

    const raw = await r.core.db.kysely.selectFrom('mail_outbox').selectAll().where('id', '=', queued.id).executeTakeFirstOrThrow();
    assert.match(raw.body_sealed, /^rs1\./);
    assert.ok(!raw.body_sealed.includes('s3cr3t-token'), 'the token is not stored in clear');
    assert.ok(r.core.sealedColumns.list().some((c) => c.table === 'mail_outbox' && c.column === 'body_sealed'), 'secret rotation re-encrypts it');

    const list = await r.core.mail.list({ limit: 10, offset: 0 });
    assert.deepEqual(list.map((m) => m.subject), ['Second', 'Your link']);
    assert.equal(list[1].body, message.text);
    assert.equal(list[1].recipient, 'ada@example.com');
    assert.equal(list[1].sent_at, null);
    assert.equal(list[1].error, null);
  });

  test('a mail sent in a transaction that rolls back is not kept', async () => {
    await assert.rejects(
      r.core.db.transaction(async () => {
        await r.core.mail.send({ ...message, subject: 'Rolled back' });
        throw new Error('the request failed');
      }),
      /the request failed/,
    );
    const list = await r.core.mail.list({ limit: 50, offset: 0 });
    assert.ok(!list.some((m) => m.subject === 'Rolled back'));
  });

  test('a recipient or subject with a line break is refused (no header injection)', async () => {
    await assert.rejects(r.core.mail.send({ ...message, to: 'a@example.com\r\nBcc: b@example.com' }), /one line/);
    await assert.rejects(r.core.mail.send({ ...message, subject: 'Hi\nBcc: b@example.com' }), /one line/);
  });
});

describe('core mail: delivery through a real SMTP server', () => {
  let smtp: TestSmtpServer;
  let r: TestRampart;
  before(async () => {
    smtp = await startSmtpServer();
    r = await createTestRampart({ overrides: { 'mail.smtp_url': smtp.url, 'mail.from': 'Rampart <noreply@rampart.test>' } });
  });
  after(async () => {
    await r.cleanup();
    await smtp.close();
  });

  test('the mail arrives and its record notes when it was sent', async () => {
    const queued = await r.core.mail.send(message);
    assert.equal(queued.transport, 'smtp');
    const [mail] = await smtp.waitFor(1);
    assert.deepEqual(mail.to, ['ada@example.com']);
    assert.equal(mail.from, 'noreply@rampart.test');
    assert.match(mail.text, /Subject: Your link/);
    assert.ok(mail.text.includes('https://console.example/invitations/s3cr3t-token'));
    await r.core.mail.idle();
    const [record] = await r.core.mail.list({ limit: 1, offset: 0 });
    assert.equal(record.id, queued.id);
    assert.ok(record.sent_at, 'sent_at is set');
    assert.equal(record.error, null);
  });

  test('inside a transaction the mail leaves only after the commit, and never after a rollback', async () => {
    const before = smtp.received.length;
    await assert.rejects(
      r.core.db.transaction(async () => {
        await r.core.mail.send({ ...message, subject: 'Never' });
        throw new Error('rollback');
      }),
    );
    await r.core.db.transaction(async () => {
      await r.core.mail.send({ ...message, subject: 'After commit' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(smtp.received.length, before, 'nothing is sent while the transaction is open');
    });
    await smtp.waitFor(before + 1);
    await r.core.mail.idle();
    assert.equal(smtp.received.length, before + 1);
    assert.match(smtp.received[before].text, /Subject: After commit/);
  });
});

describe('core mail: an unreachable SMTP server', () => {
  let r: TestRampart;
  before(async () => {
    // A port that was free a moment ago: connections are refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    r = await createTestRampart({ overrides: { 'mail.smtp_url': `smtp://127.0.0.1:${port}` } });
  });
  after(() => r.cleanup());

  test('the failure is recorded on the mail, and the sender is not failed by it', async () => {
    const queued = await r.core.mail.send(message);
    await r.core.mail.idle();
    const [record] = await r.core.mail.list({ limit: 1, offset: 0 });
    assert.equal(record.id, queued.id);
    assert.equal(record.sent_at, null);
    assert.match(record.error ?? '', /ECONNREFUSED|connect/i);
  });
});
