import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { callKey, openwatchUiCalls, type UiCall } from '../contract/openwatch-ui.contract.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { testLicenseIssuer } from '../helpers/fleet-license.js';
import { insertHost } from '../helpers/fleet-rows.js';
import { remediationHostsFor, rootLoginRule } from '../helpers/fleet-remediation-rule.js';
import { SshConnectError, type HostConnector } from '../../src/modules/fleet/ssh/ssh.types.js';
import { startLocalHost, type LocalHost } from '../helpers/local-host-session.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Runs every call OpenWatch's UI makes (test/contract/openwatch-ui.contract.ts) against Rampart as the UI would:
 * each served call must answer 2xx with every field the UI reads. The fleet routes are being built in parallel, so
 * the calls not served yet are listed here and must still answer 404: serving one fails this test until it moves
 * out of the list (and then its fields are checked).
 */
const notYetServed = new Set<string>([]);

const STRONG = 'a much longer passphrase 42';
/** A real rule whose fix sets PermitRootLogin no in the lab's sshd_config (one config_set step, undone by rollback). */
const ROOT_LOGIN = rootLoginRule('/etc/ssh/sshd_config');
const codeAt = (secret: string, at: Date) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: at.getTime() });

/** The dotted paths of `reads` the body lacks; `list[].x` needs a non-empty list whose every element has x. */
export function missingFields(body: unknown, paths: string[]): string[] {
  return paths.filter((path) => !hasPath(body, path.split('.')));
}

function hasPath(value: unknown, segments: string[]): boolean {
  if (segments.length === 0) return true;
  const [head, ...rest] = segments as [string, ...string[]];
  if (value === null || typeof value !== 'object') return false;
  const isList = head.endsWith('[]');
  const key = isList ? head.slice(0, -2) : head;
  if (!(key in value)) return false;
  const next = (value as Record<string, unknown>)[key];
  if (!isList) return hasPath(next, rest);
  return Array.isArray(next) && next.length > 0 && next.every((item) => hasPath(item, rest));
}

describe("OpenWatch's web UI against Rampart: every call it makes, with the fields it reads", () => {
  let r: TestRampart;
  let admin: SignedIn;
  let member: SignedIn;
  let memberPassword: string;
  let port: number;
  const fixtures: Record<'user' | 'token' | 'notification', string> = { user: '', token: '', notification: '' };
  let enrollSecret = '';
  /** Calls on one fleet record name it here (the call's key to its id); the others get an unknown id. */
  const records = new Map<string, string>();
  /** Body fields the UI sends from the page's context (the host it is on) that the contract's bodies leave out. */
  const bodyExtras = new Map<string, Record<string, unknown>>();
  const issuer = testLicenseIssuer();
  /** The webhook receiver a channel's test delivery reaches (on loopback). */
  let hook: Server | undefined;
  /** The one host that answers: discovery, intelligence, the scan and the remediation run on it. */
  let lab: LocalHost | undefined;
  let labHost = '';
  /** The rule the scan pages drill into: one the lab's scan evaluated, with evidence. */
  let scanRule = '';
  let executedRequest = '';

  before(async () => {
    r = await createTestRampart({ overrides: issuer.overrides });
    await issuer.install(r, ['structured_exceptions']);
    admin = await signIn(r, { roles: ['admin'] });
    member = await signIn(r, { roles: ['viewer'], password: 'the member password 1' });
    memberPassword = member.password;
    await r.app.listen({ host: '127.0.0.1', port: 0 });
    port = (r.app.server.address() as AddressInfo).port;

    // What the UI's reads need to find: a notification in the admin's bell, stored preferences, an enabled SSO
    // provider, a user to manage, a token to revoke, and audit rows (the fixtures' own).
    fixtures.notification = (await fleetServices(r.core).notifications.record({ userId: admin.user.id, kind: 'drift_major', severity: 'high', title: 'Score dropped', body: 'web-1 fell 12 points', link: '/hosts' })).id;
    await fleetServices(r.core).notifications.record({ userId: admin.user.id, kind: 'host_unreachable', severity: 'high', title: 'web-2 unreachable' });
    const prefs = await call('PATCH', '/api/v1/users/me/preferences', admin, { hosts_view_default: 'table', density: 'comfortable', accent_color: 'ok', landing_page: 'dashboard', date_format: 'iso24', reduce_motion: true });
    assert.equal(prefs.statusCode, 200, prefs.body);
    await r.core.identity.sso.create({ name: 'Corp IdP', kind: 'oidc', issuer_url: 'https://idp.example.com', client_id: 'rampart', client_secret: 'sso-secret-value', enabled: true });
    const target = await call('POST', '/api/v1/users', admin, { username: 'managed-one', email: 'managed@example.com', password: STRONG });
    assert.equal(target.statusCode, 201, target.body);
    fixtures.user = target.json().id;
    const token = await call('POST', '/api/v1/tokens', admin, { name: 'to-revoke', role_id: 'viewer' });
    assert.equal(token.statusCode, 201, token.body);
    fixtures.token = token.json().id;

    // Exceptions to review, requested by someone other than the reviewing admin: one approved then revoked, one rejected.
    const requester = await signIn(r, { roles: ['auditor'] });
    const host = await insertHost(r);
    const requestException = async (rule_id: string) => {
      const res = await call('POST', `/api/v1/hosts/${host}/exceptions`, requester, { rule_id, justification: 'contract fixture', duration_days: 30 });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    };
    const approvedThenRevoked = await requestException('contract-rule-a');
    records.set('POST /api/v1/exceptions/{xid}:approve', approvedThenRevoked);
    records.set('POST /api/v1/exceptions/{xid}:revoke', approvedThenRevoked);
    records.set('POST /api/v1/exceptions/{xid}:reject', await requestException('contract-rule-b'));
    await fleetRecords();
  });
  after(async () => {
    await new Promise((done) => hook?.close(done) ?? done(undefined));
    await lab?.close();
    await r.cleanup();
  });

  /** Creates through the API what the fleet calls act on; the addresses are loopback ports nothing listens on. */
  async function fleetRecords() {
    const created = async (url: string, payload: object, headers: Record<string, string> = {}) => {
      const res = await call('POST', url, admin, payload, headers);
      assert.ok(res.statusCode === 201 || res.statusCode === 202, `${url}: ${res.body}`);
      return res.json();
    };
    const newHost = async () => (await created('/api/v1/hosts', { hostname: `ui-${randomUUID().slice(0, 8)}`, ip_address: '127.0.0.1', port: 1 })).id as string;
    const host = await newHost();
    for (const key of [
      'GET /api/v1/hosts/{id}', 'PATCH /api/v1/hosts/{id}', 'PUT /api/v1/hosts/{host_id}/maintenance', 'POST /api/v1/hosts/{id}/scans',
      'POST /api/v1/hosts/{host_id}/credentials:resolve', 'GET /api/v1/hosts/{id}/system-info', 'GET /api/v1/hosts/{id}/compliance',
      'GET /api/v1/hosts/{id}/compliance/frameworks', 'GET /api/v1/hosts/{id}/compliance/schedule', 'GET /api/v1/hosts/{id}/compliance/failed-rules',
      'GET /api/v1/hosts/{id}/compliance/trend', 'GET /api/v1/hosts/{id}/exceptions', 'POST /api/v1/hosts/{id}:target',
    ]) records.set(key, host);
    records.set('DELETE /api/v1/hosts/{id}', await newHost());

    // The system default credential credentials:resolve finds; one of the host's own to change (to the name the
    // UI's create took in the system scope) then delete; one to clone into the host's scope, as the host modal does.
    await created('/api/v1/credentials', { scope: 'system', name: 'default', username: 'ops', auth_method: 'password', password: 'pw-default', is_default: true });
    await labRecords(created);
    const edited = (await created('/api/v1/credentials', { scope: 'host', scope_id: host, name: 'edited', username: 'ops', auth_method: 'password', password: 'pw-1' })).id;
    records.set('PATCH /api/v1/credentials/{id}', edited);
    records.set('DELETE /api/v1/credentials/{id}', edited);
    bodyExtras.set('POST /api/v1/credentials/{id}:clone', { scope_id: host });
    records.set('POST /api/v1/credentials/{id}:clone', (await created('/api/v1/credentials', { scope: 'system', name: 'cloned', username: 'ops', auth_method: 'password', password: 'pw-2' })).id);

    // One alert taken through acknowledge, silence and resolve, as the activity drawer does.
    const { alert } = await fleetServices(r.core).alerts.raise({ alert_type: 'custom_check', host_id: host, title: 'contract alert' });
    for (const key of ['GET /api/v1/alerts/{id}', 'POST /api/v1/alerts/{id}:acknowledge', 'POST /api/v1/alerts/{id}:silence', 'POST /api/v1/alerts/{id}:resolve']) records.set(key, alert.id);

    records.set('DELETE /api/v1/groups/{id}', (await created('/api/v1/groups', { name: 'contract-site', kind: 'site', membership: 'manual', color: '#336699' })).id);
    records.set('POST /api/v1/groups/{id}:maintenance', (await created('/api/v1/groups', { name: 'contract-maintained', kind: 'site', membership: 'manual', color: '#663399' })).id);
    // Remediation over a real rule: the UI files one on the host; two filed by someone else on other hosts (which do
    // not answer) are there for the admin to approve and to reject.
    bodyExtras.set('POST /api/v1/remediation/requests', { host_id: host, rule_id: ROOT_LOGIN.id });
    records.set('POST /api/v1/remediation/requests/{rid}:approve', await fileRemediation(await insertHost(r)));
    records.set('POST /api/v1/remediation/requests/{rid}:reject', await fileRemediation(await insertHost(r)));

    // Channels: one to rename then delete, one whose test delivery a loopback receiver takes.
    hook = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    await new Promise<void>((done) => hook!.listen(0, '127.0.0.1', done));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const channel = async (name: string) => (await created('/api/v1/notifications/channels', { type: 'webhook', name, enabled: true, tag_filter: {}, url: hookUrl })).id as string;
    const renamed = await channel('contract-renamed');
    records.set('PATCH /api/v1/notifications/channels/{id}', renamed);
    // The contract's create already took the name its rename uses ("x"): rename to a free one.
    bodyExtras.set('PATCH /api/v1/notifications/channels/{id}', { name: 'contract-renamed-again' });
    records.set('DELETE /api/v1/notifications/channels/{id}', renamed);
    records.set('POST /api/v1/notifications/channels/{id}:test', await channel('contract-tested'));
  }

  let opsLead: SignedIn | undefined;
  /** A remediation request of the root-login rule on the host, filed by an ops lead (so the admin may review it). */
  async function fileRemediation(hostId: string): Promise<string> {
    opsLead ??= await signIn(r, { roles: ['ops_lead'] });
    const res = await call('POST', '/api/v1/remediation/requests', opsLead, { host_id: hostId, rule_id: ROOT_LOGIN.id });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  }

  /**
   * The lab host: commands run on this machine in a private mount namespace whose /etc is an overlay
   * (test/helpers/local-host-session.ts), reached through the fleet's SSH connector; every other host's address
   * does not answer. On it: discovery and intelligence (so its state has a snapshot), a completed scan of the
   * built-in rules run by the job worker (its results, evidence and OSCAL), and an approved remediation request
   * for the UI to execute and then roll back.
   */
  async function labRecords(created: (url: string, payload: object, headers?: Record<string, string>) => Promise<any>) {
    lab = await startLocalHost({ etc: { 'ssh/sshd_config': 'PermitRootLogin yes\n' } });
    const fleet = fleetServices(r.core);
    const answers = (hostId: string) => {
      if (hostId !== labHost) throw new SshConnectError('unreachable', 'the host does not answer');
      return { ...lab!.session, target: { ...lab!.session.target, hostId } };
    };
    const connector: HostConnector = { open: async (target) => answers(target.hostId), connectionsOpened: () => 0 };
    fleet.connector = connector;
    fleet.remediationHosts = remediationHostsFor([ROOT_LOGIN], async (hostId) => answers(hostId));

    labHost = (await created('/api/v1/hosts', { hostname: 'ui-lab', ip_address: '127.0.0.1', port: 1 })).id;
    for (const key of ['POST /api/v1/hosts/{id}/discovery:run', 'GET /api/v1/intelligence/state/{host_id}']) records.set(key, labHost);
    // Discovery first: the scan picks the rules that apply by the OS it found.
    const discovered = await call('POST', `/api/v1/hosts/${labHost}/discovery:run`, admin, {});
    assert.equal(discovered.statusCode, 200, discovered.body);
    await fleet.intelligence.collect(labHost);

    const scanId = (await created(`/api/v1/hosts/${labHost}/scans`, {}, { 'idempotency-key': randomUUID() })).scan_id as string;
    while ((await r.worker.runOnce()) > 0);
    const scan = await call('GET', `/api/v1/scans/${scanId}`, admin);
    assert.equal(scan.json().scan.status, 'completed', scan.body);
    const results = scan.json().results as { rule_id: string; status: string; has_evidence: boolean }[];
    const withEvidence = results.filter((x) => x.has_evidence);
    scanRule = (withEvidence.find((x) => x.status === 'fail') ?? withEvidence[0])?.rule_id ?? '';
    assert.ok(scanRule, `the lab scan gathered evidence: ${scan.body.slice(0, 300)}`);
    for (const key of ['GET /api/v1/scans/{id}', 'GET /api/v1/scans/{id}/oscal', 'GET /api/v1/scans/{id}/rules/{ruleId}/evidence', 'GET /api/v1/scans/{id}/rules/{ruleId}/oscal']) {
      records.set(key, scanId);
    }

    executedRequest = await fileRemediation(labHost);
    const approved = await call('POST', `/api/v1/remediation/requests/${executedRequest}:approve`, admin, {});
    assert.equal(approved.statusCode, 200, approved.body);
    for (const key of ['POST /api/v1/remediation/requests/{rid}:execute', 'POST /api/v1/remediation/requests/{rid}:rollback']) records.set(key, executedRequest);
  }

  function call(method: string, url: string, who: SignedIn | null, payload?: object, headers: Record<string, string> = {}) {
    return r.app.inject({ method: method as 'GET', url, headers: { ...(who ? who.headers : {}), ...headers }, ...(payload ? { payload } : {}) });
  }

  /** A fresh session for the member each time: logout and password changes end the member's sessions. */
  async function memberSession(): Promise<SignedIn> {
    const pair = await r.core.identity.sessions.open(member.user.id, { method: 'password', clientIp: '127.0.0.1', userAgent: 'contract' });
    return { ...member, token: pair.access_token, headers: { authorization: `Bearer ${pair.access_token}` }, sessionId: pair.session_id };
  }

  function urlOf(c: UiCall): string {
    const id = records.get(callKey(c)) ?? (c.params && c.params !== 'any' ? fixtures[c.params] : randomUUID());
    const path = c.path.replace(/\{ruleId\}/g, encodeURIComponent(scanRule)).replace(/\{[a-z_]+\}/gi, id);
    const query = Object.entries(c.query ?? {}).map(([k, v]) => `${k}=${encodeURIComponent(v === '<any>' ? randomUUID() : v)}`);
    return query.length ? `${path}?${query.join('&')}` : path;
  }

  function bodyOf(c: UiCall): Record<string, unknown> | undefined {
    if (!c.body) return undefined;
    const fill = (v: unknown): unknown => {
      switch (v) {
        case '<member>': return undefined; // filled per field below
        case '<strong>': return STRONG;
        case '<new>': return `ui-${randomUUID().slice(0, 8)}`;
        case '<totp>': return codeAt(enrollSecret, new Date());
        case '<any>': return randomUUID();
        default: return v;
      }
    };
    const body = Object.fromEntries(Object.entries(c.body).map(([k, v]) => [k, fill(v)]));
    if (c.body.username === '<member>') body.username = member.user.username;
    if (c.body.password === '<member>') body.password = memberPassword;
    if (c.body.current_password === '<member>') body.current_password = memberPassword;
    return body;
  }

  /** refresh-cookie is called by the browser with its session cookie and no Authorization header. */
  async function refreshCookie() {
    const login = await call('POST', '/api/v1/auth/login', null, { username: admin.user.username, password: admin.password });
    assert.equal(login.statusCode, 200, login.body);
    const cookies = [login.headers['set-cookie']].flat().filter((c): c is string => typeof c === 'string').map((c) => c.split(';')[0]!);
    const csrf = cookies.find((c) => c.startsWith('XSRF-TOKEN='))!.slice('XSRF-TOKEN='.length);
    const res = await call('POST', '/api/v1/auth/refresh-cookie', null, undefined, { cookie: cookies.join('; '), 'x-csrf-token': csrf });
    assert.ok([res.headers['set-cookie']].flat().some((c) => c?.startsWith('rampart_session=')), 'a rotated session cookie');
    return res;
  }

  /** The event stream as EventSource reads it: one event after a fleet part publishes host.changed. */
  async function firstEvent(c: UiCall): Promise<{ status: number; data: unknown }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: urlOf(c), headers: { ...admin.headers, accept: 'text/event-stream' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          const match = /event: host\.changed\n(?:id: .*\n)?data: (.*)\n\n/.exec(text);
          if (match) {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, data: JSON.parse(match[1]!) });
          }
        });
        waitFor('the stream to open', () => text.length > 0, 30_000)
          .then(() => r.core.events.publish('fleet.host.changed', { host_id: randomUUID() }))
          .catch(reject);
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
  }

  async function run(c: UiCall): Promise<{ status: number; body: unknown }> {
    if (c.stream) {
      const { status, data } = await firstEvent(c);
      return { status, body: data };
    }
    if (callKey(c) === 'POST /api/v1/auth/refresh-cookie') {
      const res = await refreshCookie();
      return { status: res.statusCode, body: null };
    }
    const who = c.as === 'member' ? await memberSession() : admin;
    const headers: Record<string, string> = c.path.endsWith('/scans') && c.method === 'POST' ? { 'idempotency-key': randomUUID() } : {};
    const extras = bodyExtras.get(callKey(c));
    const res = await call(c.method, urlOf(c), who, extras ? { ...bodyOf(c), ...extras } : bodyOf(c), headers);
    if (c.navigation) return { status: res.statusCode >= 300 && res.statusCode < 400 && res.headers.location ? 200 : res.statusCode, body: res.body };
    const body = res.headers['content-type']?.toString().startsWith('application/json') && res.body ? res.json() : res.body;
    if (callKey(c) === 'POST /api/v1/auth/mfa:enroll' && res.statusCode === 200) enrollSecret = res.json().secret;
    if (callKey(c) === 'POST /api/v1/auth/password:change' && res.statusCode === 204) memberPassword = STRONG;
    return { status: res.statusCode, body };
  }

  test('the not-yet-served list names only calls of the contract', () => {
    const known = new Set(openwatchUiCalls.map(callKey));
    assert.deepEqual([...notYetServed].filter((k) => !known.has(k)), []);
    assert.equal(known.size, openwatchUiCalls.length, 'each call is listed once');
  });

  test('every served call answers 2xx with the fields the UI reads; every other call is still 404', async (t) => {
    const problems: string[] = [];
    let served = 0;
    for (const c of openwatchUiCalls) {
      const key = callKey(c);
      const { status, body } = await run(c);
      if (notYetServed.has(key)) {
        // 405: the path matches a served route of another method (e.g. "{id}:target" read as an id), not this call.
        if (status !== 404 && status !== 405) problems.push(`${key} answers ${status}: it is served now, so take it off notYetServed`);
        continue;
      }
      served += 1;
      if (status < 200 || status > 299) {
        problems.push(`${key} answered ${status}: ${typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body).slice(0, 300)}`);
        continue;
      }
      const missing = missingFields(body, c.reads);
      if (missing.length) problems.push(`${key} lacks ${missing.join(', ')}`);
    }
    t.diagnostic(`OpenWatch UI calls served: ${served} of ${openwatchUiCalls.length}`);
    assert.deepEqual(problems, []);
    assert.equal(served, openwatchUiCalls.length - notYetServed.size);
  });

  test('what the calls did is what the UI expects to see next', async () => {
    const feed = (await call('GET', '/api/v1/notifications/feed', admin)).json();
    assert.equal(feed.items.find((n: { id: string }) => n.id === fixtures.notification).read, true, 'marked read, then all read');
    assert.equal(feed.unread_count, 0);
    const prefs = (await call('GET', '/api/v1/users/me/preferences', admin)).json();
    assert.equal(prefs.density, 'compact', 'the PATCH the store sends is what it reads back');
    assert.equal((await call('GET', `/api/v1/users/${fixtures.user}`, admin)).statusCode, 404, 'the managed user was deleted last');
    const tokens = (await call('GET', '/api/v1/tokens', admin)).json().tokens as { id: string; revoked_at: string | null }[];
    assert.ok(tokens.find((tk) => tk.id === fixtures.token)!.revoked_at, 'the revoked token shows as revoked');
    // The changed password is accepted and the enrolled MFA is now asked for (the old password is not accepted).
    const login = await call('POST', '/api/v1/auth/login', null, { username: member.user.username, password: STRONG });
    assert.equal(login.statusCode, 401, login.body);
    assert.equal(login.json().error.code, 'mfa_required');
    const old = await call('POST', '/api/v1/auth/login', null, { username: member.user.username, password: 'the member password 1' });
    assert.notEqual(old.json().error?.code, 'mfa_required');

    // The remediation the UI executed then rolled back: the lab's sshd_config changed and was put back as it was.
    const remediation = (await call('GET', `/api/v1/remediation/requests/${executedRequest}`, admin)).json();
    assert.equal(remediation.status, 'rolled_back');
    const steps = (await call('GET', `/api/v1/remediation/requests/${executedRequest}/steps`, admin)).json().items as { status: string }[];
    assert.deepEqual(steps.map((st) => st.status), ['applied', 'rolled_back']);
    assert.match(await lab!.readFile('/etc/ssh/sshd_config'), /^PermitRootLogin yes$/m);
    // Discovery stored what the lab host runs (this machine's OS, seen through the namespace).
    const info = (await call('GET', `/api/v1/hosts/${labHost}/system-info`, admin)).json();
    assert.match(await lab!.readFile('/etc/os-release'), new RegExp(`^ID=${info.facts.os.id}$`, 'm'));
  });
});
