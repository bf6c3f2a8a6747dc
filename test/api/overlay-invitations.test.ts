import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';

const DAY = 86_400_000;
const LINK = /https:\/\/console\.example\/invitations\/([A-Za-z0-9_-]{43})\b/;

type Who = SignedIn | null;

function api(r: () => TestRampart) {
  const call = (method: string, url: string, who: Who, payload?: unknown) =>
    r().app.inject({ method: method as 'GET', url, headers: who ? who.headers : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
  return {
    call,
    invite: (who: SignedIn, body: Record<string, unknown>) => call('POST', '/api/invitations', who, body),
    publicView: (token: string) => call('GET', `/api/invitations/public/${token}`, null),
    accept: (who: SignedIn, token: string) => call('POST', `/api/invitations/${token}/accept`, who, {}),
    resend: (who: SignedIn, id: string) => call('POST', `/api/invitations/${id}/resend`, who, {}),
    revoke: (who: SignedIn, id: string) => call('DELETE', `/api/invitations/${id}`, who),
  };
}

async function withEmail(r: TestRampart, who: SignedIn, email: string): Promise<SignedIn> {
  await r.core.identity.users.update(who.user.id, { email });
  return who;
}

describe('overlay invitations (/api/invitations) with the mail outbox', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T10:00:00Z');
  let owner: SignedIn;
  let inviter: SignedIn;
  let plainMember: SignedIn;
  let stranger: SignedIn;
  let admin: SignedIn;
  let auditor: SignedIn;
  let networkId: string;
  const { call, invite, publicView, accept, resend, revoke } = api(() => r);

  /** The mails in the outbox to an address, newest first (read as a system admin). */
  const mailsTo = async (email: string) => {
    const res = await call('GET', '/api/mail/outbox?limit=200', admin);
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as any[]).filter((m) => m.recipient === email);
  };
  const tokenMailedTo = async (email: string) => {
    const [mail] = await mailsTo(email);
    assert.ok(mail, `a mail to ${email}`);
    const match = LINK.exec(mail.body);
    assert.ok(match, mail.body);
    return match[1];
  };
  const list = async (who: SignedIn, query = '') => {
    const res = await call('GET', `/api/invitations${query}`, who);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as any[];
  };

  before(async () => {
    r = await createTestRampart({
      now: () => clock,
      overrides: { 'overlay.public_url': 'https://console.example/', 'auth.access_token_ttl_s': 86_400, 'auth.session_ttl_s': 30 * 86_400 },
    });
    [owner, inviter, plainMember, stranger] = await Promise.all([signIn(r), signIn(r), signIn(r), signIn(r)]);
    await withEmail(r, owner, 'owner@example.com');
    admin = await signIn(r, { roles: ['admin'] });
    auditor = await signIn(r, { roles: ['auditor'] });
    const net = await call('POST', '/api/networks', owner, { name: 'invite-net', subnet_cidr: '10.70.0.0/24' });
    assert.equal(net.statusCode, 200, net.body);
    networkId = net.json().id;
    for (const [who, flags] of [[inviter, { can_invite_users: true, can_manage_nodes: true }], [plainMember, {}]] as const) {
      assert.equal((await call('POST', `/api/networks/${networkId}/users`, owner, { user_id: who.user.id, ...flags })).statusCode, 200);
    }
  });
  after(() => r.cleanup());

  test('end to end: invite, the outbox holds the link, the public page shows it, the invitee accepts and is a member', async () => {
    const res = await invite(owner, { email: 'Newbie@Example.com', network_id: networkId, can_manage_nodes: true });
    assert.equal(res.statusCode, 200, res.body);
    const invitation = res.json();
    assert.equal(invitation.email, 'newbie@example.com');
    assert.equal(invitation.status, 'pending');
    assert.equal(invitation.role, 'member');
    assert.deepEqual([invitation.can_manage_nodes, invitation.can_invite_users, invitation.can_manage_firewall], [true, false, false]);
    assert.equal(invitation.expires_at, new Date(clock.getTime() + 7 * DAY).toISOString());
    assert.equal(invitation.invited_by_email, 'owner@example.com');

    const [mail] = await mailsTo('newbie@example.com');
    assert.match(mail.subject, /invite-net/);
    assert.equal(mail.sent_at, null, 'no SMTP server: the mail waits in the outbox');
    const token = await tokenMailedTo('newbie@example.com');
    assert.equal(invitation.token, token, 'its creator sees the token, as in Commander');
    assert.deepEqual([invitation.email_status, invitation.email_sent_at, invitation.email_error], ['not_sent', null, null], 'no mail server: not sent');
    const adminView = (await list(admin)).find((x) => x.id === invitation.id);
    assert.equal(adminView.token, null, 'nobody else does');
    assert.equal(adminView.email_status, 'not_sent');
    const row = await r.core.db.kysely.selectFrom('overlay_invitations').selectAll().where('id', '=', invitation.id).executeTakeFirstOrThrow();
    assert.equal(row.token_hash, createHash('sha256').update(token).digest('hex'));
    assert.ok(!row.token_sealed.includes(token));
    const outboxRow = await r.core.db.kysely.selectFrom('mail_outbox').selectAll().where('id', '=', mail.id).executeTakeFirstOrThrow();
    assert.ok(!outboxRow.body_sealed.includes(token), 'the mail body is sealed at rest');

    for (const who of [owner, auditor]) assert.equal((await call('GET', '/api/mail/outbox', who)).statusCode, 403, 'only system admins read the outbox');

    const page = await publicView(token);
    assert.equal(page.statusCode, 200, page.body);
    assert.deepEqual(page.json(), {
      email: 'newbie@example.com', network_name: 'invite-net', invited_by_email: 'owner@example.com', invited_by_name: owner.user.username,
      role: 'member', can_manage_nodes: true, can_invite_users: false, can_manage_firewall: false, status: 'pending', expires_at: invitation.expires_at,
    });
    assert.equal((await publicView('x'.repeat(43))).statusCode, 404);

    const newbie = await withEmail(r, await signIn(r), 'NEWBIE@example.com');
    const accepted = await accept(newbie, token);
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().network_id, networkId);
    const networks = (await call('GET', '/api/networks', newbie)).json();
    assert.deepEqual(networks.map((n: any) => [n.name, n.role, n.can_manage_nodes, n.can_invite_users, n.can_manage_firewall]), [['invite-net', 'member', true, false, false]]);
    const members = (await call('GET', `/api/networks/${networkId}/users`, owner)).json();
    assert.equal(members.find((m: any) => m.user_id === newbie.user.id).invited_by, owner.user.id);

    const again = await accept(newbie, token);
    assert.equal(again.statusCode, 400);
    assert.deepEqual(again.json(), { detail: 'Invitation is accepted' });
    assert.equal((await publicView(token)).statusCode, 400);
    const [listed] = await list(owner, '?status_filter=accepted');
    assert.equal(listed.id, invitation.id);
    assert.equal(listed.accepted_by_user_id, newbie.user.id);

    const dup = await invite(owner, { email: 'newbie@EXAMPLE.com', network_id: networkId });
    assert.equal(dup.statusCode, 400);
    assert.deepEqual(dup.json(), { detail: 'User is already a member of this network' });

    const audit = await r.core.audit.list({ resourceType: 'invitation', resourceId: invitation.id, result: 'success' }, { limit: 10 });
    assert.deepEqual(audit.items.map((e) => e.action).sort(), ['overlay.invitation.accept', 'overlay.invitation.create']);
  });

  test('who may invite whom, and bad input, get clear 4xx', async () => {
    const body = { email: 'someone@example.com', network_id: networkId };
    const cases: [SignedIn, Record<string, unknown>, number, RegExp][] = [
      [plainMember, {}, 403, /can_invite_users/],
      [stranger, {}, 404, /Network not found/],
      [owner, { network_id: randomUUID() }, 404, /Network not found/],
      [owner, { network_id: 'nope' }, 404, /Network not found/],
      [inviter, { role: 'owner' }, 403, /Only network owners can invite owners/],
      [inviter, { can_manage_firewall: true }, 403, /can_manage_firewall/],
      [owner, { email: 'not-an-address' }, 400, /email/],
      [owner, { role: 'admin' }, 400, /role/],
      [owner, { expires_in_days: 0 }, 400, /expires_in_days/],
      [owner, { expires_in_days: 31 }, 400, /expires_in_days/],
    ];
    for (const [who, extra, status, detail] of cases) {
      const res = await invite(who, { ...body, ...extra });
      assert.equal(res.statusCode, status, `${JSON.stringify(extra)}: ${res.body}`);
      assert.match(res.json().detail, detail);
    }
    // An inviter hands out the flags they hold; owners invite owners.
    assert.equal((await invite(inviter, { ...body, can_manage_nodes: true, can_invite_users: true })).statusCode, 200);
    const dup = await invite(owner, { ...body, email: 'SOMEONE@example.com', role: 'owner' });
    assert.equal(dup.statusCode, 400);
    assert.deepEqual(dup.json(), { detail: 'There is already a pending invitation for this user to this network' });
    assert.equal((await invite(owner, { ...body, email: 'co-owner@example.com', role: 'owner', expires_in_days: 30 })).statusCode, 200);
  });

  test('accepting needs the invited address when the user has one', async () => {
    assert.equal((await invite(owner, { email: 'match@example.com', network_id: networkId })).statusCode, 200);
    const token = await tokenMailedTo('match@example.com');
    const other = await withEmail(r, await signIn(r), 'other@example.com');
    const wrong = await accept(other, token);
    assert.equal(wrong.statusCode, 403);
    assert.deepEqual(wrong.json(), { detail: 'This invitation is for a different email address' });
    assert.equal((await accept(plainMember, token)).statusCode, 400, 'already a member');
    assert.equal((await accept(other, 'unknown-token')).statusCode, 404);
    // A user without an address (a local account) may accept.
    const noEmail = await signIn(r);
    assert.equal((await accept(noEmail, token)).statusCode, 200);
  });

  test('an invitation expires: the link answers 410, the list reports it expired, and the address can be invited again', async () => {
    const created = (await invite(owner, { email: 'late@example.com', network_id: networkId, expires_in_days: 1 })).json();
    const token = await tokenMailedTo('late@example.com');
    const late = await withEmail(r, await signIn(r), 'late@example.com');
    clock = new Date(clock.getTime() + DAY + 1000);

    const page = await publicView(token);
    assert.equal(page.statusCode, 410);
    assert.deepEqual(page.json(), { detail: 'Invitation has expired' });
    assert.equal((await accept(late, token)).statusCode, 410);
    assert.equal((await list(owner)).find((x) => x.id === created.id).status, 'expired');
    assert.ok((await list(owner, '?status_filter=expired')).some((x) => x.id === created.id));
    assert.ok(!(await list(owner, '?status_filter=pending')).some((x) => x.id === created.id));
    assert.equal((await resend(owner, created.id)).statusCode, 400);

    const fresh = await invite(owner, { email: 'late@example.com', network_id: networkId });
    assert.equal(fresh.statusCode, 200, fresh.body);
    assert.equal((await accept(late, await tokenMailedTo('late@example.com'))).statusCode, 200);
  });

  test('resend mails the same link again; pending invitations only', async () => {
    const created = (await invite(inviter, { email: 'again@example.com', network_id: networkId })).json();
    const token = await tokenMailedTo('again@example.com');
    assert.equal((await resend(plainMember, created.id)).statusCode, 403);
    assert.deepEqual((await resend(stranger, created.id)).json(), { detail: 'Invitation not found' });
    for (const id of [randomUUID(), 'nope']) assert.equal((await resend(owner, id)).statusCode, 404);

    const res = await resend(owner, created.id);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'pending');
    const mails = await mailsTo('again@example.com');
    assert.equal(mails.length, 2);
    assert.deepEqual(mails.map((m) => LINK.exec(m.body)?.[1]), [token, token]);
    assert.equal((await r.core.audit.list({ action: 'overlay.invitation.resend', resourceId: created.id, result: 'success' }, { limit: 5 })).items.length, 1);
  });

  test('the inviter or an owner revokes; the link stops working', async () => {
    const byInviter = (await invite(inviter, { email: 'gone@example.com', network_id: networkId })).json();
    const token = await tokenMailedTo('gone@example.com');
    assert.equal((await revoke(plainMember, byInviter.id)).statusCode, 403);
    const hidden = await revoke(stranger, byInviter.id);
    assert.equal(hidden.statusCode, 404);
    assert.deepEqual(hidden.json(), { detail: 'Invitation not found' });
    for (const id of [randomUUID(), 'nope']) assert.equal((await revoke(owner, id)).statusCode, 404);

    const res = await revoke(inviter, byInviter.id);
    assert.equal(res.statusCode, 204, res.body);
    assert.deepEqual((await publicView(token)).json(), { detail: 'Invitation is revoked' });
    const gone = await withEmail(r, await signIn(r), 'gone@example.com');
    assert.equal((await accept(gone, token)).statusCode, 400);
    assert.equal((await resend(owner, byInviter.id)).statusCode, 400);
    assert.equal((await list(owner)).find((x) => x.id === byInviter.id).status, 'revoked');

    const other = (await invite(inviter, { email: 'gone2@example.com', network_id: networkId })).json();
    assert.equal((await revoke(owner, other.id)).statusCode, 204, 'owners revoke what others sent');
  });

  test('the list: owners and inviters see their networks’ invitations, admins all, others none', async () => {
    const ownerView = await list(owner);
    assert.ok(ownerView.length >= 8);
    const times = ownerView.map((x) => x.created_at);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.deepEqual((await list(inviter)).map((x) => x.id), ownerView.map((x) => x.id));
    assert.deepEqual((await list(admin, `?network_id=${networkId}`)).map((x) => x.id), ownerView.map((x) => x.id));
    assert.deepEqual(await list(plainMember), []);
    assert.deepEqual(await list(stranger), []);
    assert.deepEqual(await list(owner, `?network_id=${randomUUID()}`), []);
    assert.equal((await call('GET', '/api/invitations?status_filter=lost', owner)).statusCode, 400);
    for (const x of ownerView) {
      assert.equal(x.token !== null, x.invited_by_user_id === owner.user.id, 'a token on exactly the invitations the caller made');
      assert.equal(x.token_hash ?? x.token_sealed, undefined);
    }
    assert.ok(ownerView.some((x) => x.token === null) && ownerView.some((x) => x.token !== null));
  });
});

describe('overlay invitations through a real SMTP server', () => {
  let smtp: TestSmtpServer;
  let r: TestRampart;
  const { call, invite, publicView, accept } = api(() => r);

  before(async () => {
    smtp = await startSmtpServer();
    r = await createTestRampart({ overrides: { 'mail.smtp_url': smtp.url, 'mail.from': 'Rampart <noreply@rampart.test>', 'overlay.public_url': 'https://console.example' } });
  });
  after(async () => {
    await r.cleanup();
    await smtp.close();
  });

  test('the invitation mail arrives with a working link, and the outbox records it as sent', async () => {
    const owner = await signIn(r);
    const admin = await signIn(r, { roles: ['admin'] });
    const networkId = (await call('POST', '/api/networks', owner, { name: 'smtp-net', subnet_cidr: '10.80.0.0/24' })).json().id;
    const res = await invite(owner, { email: 'remote@example.com', network_id: networkId, role: 'owner' });
    assert.equal(res.statusCode, 200, res.body);

    const [mail] = await smtp.waitFor(1);
    assert.deepEqual(mail.to, ['remote@example.com']);
    assert.equal(mail.from, 'noreply@rampart.test');
    const token = LINK.exec(mail.text)?.[1];
    assert.ok(token, mail.text);
    assert.equal((await publicView(token)).json().network_name, 'smtp-net');
    const invitee = await withEmail(r, await signIn(r), 'remote@example.com');
    assert.equal((await accept(invitee, token)).statusCode, 200);
    assert.equal((await call('GET', '/api/networks', invitee)).json()[0].role, 'owner');

    await r.core.mail.idle();
    const [record] = (await call('GET', '/api/mail/outbox', admin)).json();
    assert.equal(record.transport, 'smtp');
    assert.ok(record.sent_at);
    assert.equal(record.error, null);
    const [listed] = (await call('GET', '/api/invitations', owner)).json();
    assert.deepEqual([listed.email_status, listed.email_sent_at, listed.email_error], ['sent', record.sent_at, null]);
  });
});

describe('overlay invitations when the mail server refuses', () => {
  let r: TestRampart;
  const { call, invite } = api(() => r);

  before(async () => {
    // Port 1 on loopback: nothing listens, so every delivery fails at once.
    r = await createTestRampart({ overrides: { 'mail.smtp_url': 'smtp://127.0.0.1:1', 'overlay.public_url': 'https://console.example' } });
  });
  after(() => r.cleanup());

  test('email_status is sending until the delivery ends, then failed with the reason', async () => {
    const owner = await signIn(r);
    const networkId = (await call('POST', '/api/networks', owner, { name: 'no-smtp', subnet_cidr: '10.81.0.0/24' })).json().id;
    const res = await invite(owner, { email: 'lost@example.com', network_id: networkId });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual([res.json().email_status, res.json().email_sent_at], ['sending', null]);
    await r.core.mail.idle();
    const [listed] = (await call('GET', '/api/invitations', owner)).json();
    assert.equal(listed.email_status, 'failed');
    assert.equal(listed.email_sent_at, null);
    assert.ok(listed.email_error, 'the reason is shown');
  });
});
