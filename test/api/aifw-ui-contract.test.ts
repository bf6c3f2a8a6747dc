import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import S3rver from 's3rver';
import WebSocket from 'ws';
import { aifwUiCalls, callKey, OPNSENSE_SAMPLE, type Fixture, type UiCall } from '../contract/aifw-ui.contract.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Runs every call AiFw's web UI makes on the pages of issue 16 (test/contract/aifw-ui.contract.ts) against Rampart as
 * the UI does: signed in through AiFw's login (the bearer token it stores), `X-AiFw-Csrf: 1` on every call, writes
 * with JSON bodies (a POST without a body still says Content-Type: application/json, as the apply button does), the
 * pending stream read like EventSource (unnamed events), the metrics socket opened with a ticket and no header. Every
 * call must answer 2xx with every field the page reads. Nothing is skipped: a call not served yet is listed in the
 * failure with its status, so the failure is the list of what remains.
 */

const STRONG = 'a much longer passphrase 42';

/** The dotted paths of `reads` the body lacks (see the contract's header for `[]`, `[*]` and a leading `[]`). */
export function missingFields(body: unknown, paths: string[]): string[] {
  return paths.filter((path) => !hasPath(body, path.split('.')));
}

function hasPath(value: unknown, segments: string[]): boolean {
  if (segments.length === 0) return true;
  const [head, ...rest] = segments as [string, ...string[]];
  const list = head.endsWith('[]') ? 'nonEmpty' : head.endsWith('[*]') ? 'any' : null;
  const key = list === 'nonEmpty' ? head.slice(0, -2) : list === 'any' ? head.slice(0, -3) : head;
  let next: unknown = value;
  if (key !== '') {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !(key in value)) return false;
    next = (value as Record<string, unknown>)[key];
  }
  if (!list) return hasPath(next, rest);
  if (!Array.isArray(next)) return false;
  if (list === 'nonEmpty' && next.length === 0) return false;
  return next.every((item) => hasPath(item, rest));
}

/** The claims of a JWT (no signature check: the UI only decodes). */
function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return {};
  }
}

interface Answer { status: number; body: unknown; text: string }

describe("AiFw's web UI against Rampart: every call the pages of issue 16 make, with the fields they read", () => {
  let r: TestRampart;
  let port: number;
  let admin: SignedIn;
  let totpUser: SignedIn;
  let s3: S3rver | undefined;
  let s3Dir = '';
  let s3Endpoint = '';
  /** The bearer tokens the UI would hold (AiFw's login), falling back to a Rampart session when the login is not served. */
  let adminToken = '';
  let totpToken = '';
  let totpSecret = '';
  let lastTotpStep = -1;
  let iface = 'lo';
  let ticket = '';
  let exported: unknown = {};
  let s3Key = 'missing';
  let versions: { v1: string; v2: string } = { v1: '1', v2: '2' };
  const ids = new Map<Fixture, string>();
  const names = new Map<Fixture, string>();
  const results: Array<{ call: UiCall; status: number; missing: string[] }> = [];

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    totpUser = await signIn(r, { roles: ['admin'] });
    adminToken = admin.token;
    totpToken = totpUser.token;
    await r.app.listen({ host: '127.0.0.1', port: 0 });
    port = (r.app.server.address() as AddressInfo).port;
    s3Dir = mkdtempSync(join(tmpdir(), 'rampart-aifw-s3-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir, configureBuckets: [{ name: 'rampart-edge', configs: [] }] });
    const { port: s3Port } = (await s3.run()) as AddressInfo;
    s3Endpoint = `http://127.0.0.1:${s3Port}`;
  });
  after(async () => {
    await s3?.close();
    if (s3Dir) rmSync(s3Dir, { recursive: true, force: true });
    await r.cleanup();
  });

  function headersFor(token: string, extra: Record<string, string> = {}) {
    return { authorization: `Bearer ${token}`, 'x-aifw-csrf': '1', ...extra };
  }

  async function send(method: string, url: string, token: string | null, payload?: unknown): Promise<Answer> {
    const headers: Record<string, string> = token ? headersFor(token) : { 'x-aifw-csrf': '1' };
    // The UI's writes say JSON even without a body (the apply button, ws-ticket through fetchApi's callers).
    if (method !== 'GET' && method !== 'DELETE') headers['content-type'] = 'application/json';
    const res = await r.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}) });
    let body: unknown = res.body;
    if (res.headers['content-type']?.toString().includes('json') && res.body) {
      try { body = res.json(); } catch { /* not JSON after all */ }
    }
    return { status: res.statusCode, body, text: res.body };
  }

  /** An AiFw login: the access token (nested or top level) and the refresh token, or null when not served. */
  async function aifwLogin(username: string, password: string) {
    const res = await send('POST', '/api/v1/auth/login', null, { username, password });
    const b = (res.body ?? {}) as { tokens?: { access_token?: string; refresh_token?: string } | null; access_token?: string; refresh_token?: string };
    const access = b.tokens?.access_token ?? b.access_token;
    return { res, access: typeof access === 'string' ? access : null, refresh: b.tokens?.refresh_token ?? b.refresh_token ?? null };
  }

  /** A TOTP code of a 30 s step after the last one used (Rampart refuses a code twice): polls for the next step. */
  async function freshCode(): Promise<string> {
    if (!totpSecret) return '000000';
    const step = await waitFor('a TOTP step not used yet', () => {
      const s = Math.floor(Date.now() / 30_000);
      return s > lastTotpStep ? s : false;
    }, 35_000, 200);
    lastTotpStep = step;
    return OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(totpSecret), timestamp: step * 30_000 });
  }

  async function listIds(path: string): Promise<string[]> {
    const res = await send('GET', path, adminToken);
    const data = (res.body as { data?: Array<{ id?: string }> } | null)?.data;
    return Array.isArray(data) ? data.map((x) => String(x.id)) : [];
  }

  async function fill(value: unknown): Promise<unknown> {
    if (Array.isArray(value)) return Promise.all(value.map(fill));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = await fill(v);
      return out;
    }
    if (typeof value !== 'string' || !value.startsWith('<')) return value;
    switch (value) {
      case '<admin>': return undefined;
      case '<totp-user>': return undefined;
      case '<iface>': return iface;
      case '<strong>': return STRONG;
      case '<new>': return `ui_${Math.random().toString(36).slice(2, 10)}`;
      case '<totp>': return freshCode();
      case '<xml>': return OPNSENSE_SAMPLE;
      case '<s3>': return s3Endpoint;
      case '<s3key>': return s3Key;
      case '<v1>': return Number(versions.v1);
      case '<v2>': return Number(versions.v2);
      case '<schedule>': return ids.get('schedule') ?? null;
      case '<user-name>': return names.get('user') ?? 'missing';
      case '<role-name>': return names.get('role') ?? 'missing';
      case '<rule_ids>': return (await listIds('/api/v1/rules')).reverse();
      case '<nat_ids>': return (await listIds('/api/v1/nat')).reverse();
      default: return value;
    }
  }

  async function bodyOf(c: UiCall): Promise<unknown> {
    if (c.body === undefined) return undefined;
    if (c.body === '<export>') return { ...(exported as object), interface_map: {} };
    const body = (await fill(c.body)) as Record<string, unknown>;
    const raw = c.body as Record<string, unknown>;
    if (raw.username === '<admin>') Object.assign(body, { username: admin.user.username, password: admin.password });
    if (raw.username === '<totp-user>') Object.assign(body, { username: totpUser.user.username, password: totpUser.password });
    if (raw.refresh_token === '<refresh>') body.refresh_token = (await aifwLogin(admin.user.username, admin.password)).refresh ?? 'none';
    return body;
  }

  async function urlOf(c: UiCall): Promise<string> {
    const path = c.path.replace(/\{([a-z]+)\}/g, (_, name: string) => encodeURIComponent(name === 'iface' ? iface : ids.get(name as Fixture) ?? '00000000-0000-4000-8000-000000000000'));
    const query: string[] = [];
    for (const [k, v] of Object.entries(c.query ?? {})) {
      const value = v === '<ticket>' ? ticket : v === '<v1>' ? versions.v1 : v === '<v2>' ? versions.v2 : v;
      query.push(`${k}=${encodeURIComponent(value)}`);
    }
    return query.length ? `${path}?${query.join('&')}` : path;
  }

  /** EventSource's reading of the pending stream: the data of the first unnamed event. */
  async function firstEvent(url: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (a: Answer) => { if (!settled) { settled = true; req.destroy(); resolve(a); } };
      const req = request({ host: '127.0.0.1', port, path: url, headers: { ...headersFor(adminToken), accept: 'text/event-stream' } }, (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          let text = '';
          res.on('data', (d) => (text += d)).on('end', () => done({ status: res.statusCode ?? 0, body: text, text }));
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          for (const block of text.split('\n\n').slice(0, -1)) {
            const lines = block.split('\n');
            const named = lines.find((l) => l.startsWith('event:'));
            const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
            if (data && (!named || named.slice(6).trim() === 'message')) {
              try { return done({ status: res.statusCode ?? 0, body: JSON.parse(data), text: data }); } catch { /* keep reading */ }
            }
          }
        });
        // A stream that only speaks on change: change something the pending flags follow (an alias write).
        setTimeout(() => { if (!settled) void send('POST', '/api/v1/aliases', adminToken, { name: 'sse_probe', alias_type: 'host', entries: ['10.247.0.9'], enabled: true }); }, 2000);
        setTimeout(() => done({ status: 0, body: null, text: 'no unnamed event within 10 s' }), 10_000);
      });
      req.on('error', (err) => (settled ? undefined : reject(err)));
      req.end();
    });
  }

  /** The dashboard's socket: the first message (history) and the first status_update after it. */
  async function socket(url: string): Promise<Answer> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${url}`);
      const got: { history?: unknown; update?: unknown } = {};
      let status = 0;
      const finish = (a: Answer) => { clearTimeout(timer); ws.terminate(); resolve(a); };
      const timer = setTimeout(() => finish({ status: status || 0, body: got, text: 'no status_update within 10 s' }), 10_000);
      ws.on('upgrade', (res) => (status = res.statusCode ?? 101));
      ws.on('unexpected-response', (_req, res) => finish({ status: res.statusCode ?? 0, body: null, text: 'refused' }));
      ws.on('error', () => finish({ status: status || 0, body: null, text: 'socket error' }));
      ws.on('message', (data) => {
        let msg: { type?: string };
        try { msg = JSON.parse(data.toString()); } catch { return; }
        if (got.history === undefined) got.history = msg;
        else if (msg.type === 'status_update') {
          got.update = msg;
          finish({ status: 200, body: got, text: '' });
        }
      });
    });
  }

  async function run(c: UiCall): Promise<Answer> {
    const token = c.as === 'totp' ? totpToken : adminToken;
    const url = await urlOf(c);
    if (c.stream === 'sse') return firstEvent(url);
    if (c.stream === 'ws') return socket(url);
    let useToken: string | null = token;
    if (c.as === 'fresh') useToken = (await aifwLogin(admin.user.username, admin.password)).access ?? (await signIn(r, { roles: ['admin'] })).token;
    if (c.path === '/api/v1/auth/login' || c.path === '/api/v1/auth/totp/login') useToken = null;
    // The archive is uploaded after the save answers: the S3 tab lists it once it is there.
    if (callKey(c) === 'GET /api/v1/backup/s3/list') {
      let last: Answer | undefined;
      await waitFor('the saved version in the S3 archive', async () => {
        last = await send(c.method, url, useToken);
        return last.status !== 200 || (Array.isArray(last.body) && last.body.length > 0);
      }, 15_000, 200).catch(() => undefined);
      return last!;
    }
    const answer = await send(c.method, url, useToken, await bodyOf(c));
    if (c.as === 'fresh' && c.path === '/api/v1/auth/logout' && answer.status < 300) {
      const after = await send('GET', '/api/v1/interfaces', useToken);
      assert.equal(after.status, 401, 'the token of the session that logged out no longer works');
    }
    return answer;
  }

  /** What later calls need from an answer: tokens, ids, the interface, versions, the export, the S3 key. */
  async function remember(c: UiCall, a: Answer) {
    const ok = a.status >= 200 && a.status < 300;
    const key = callKey(c);
    const b = a.body as Record<string, any> | null;
    if (key === 'POST /api/v1/auth/login' && ok) adminToken = b?.tokens?.access_token ?? b?.access_token ?? adminToken;
    if (key === 'POST /api/v1/auth/totp/setup' && ok && typeof b?.secret === 'string') totpSecret = b.secret;
    if (key === 'POST /api/v1/auth/totp/login' && ok && typeof b?.access_token === 'string') totpToken = b.access_token;
    if (key === 'POST /api/v1/auth/ws-ticket' && ok) ticket = String(b?.ticket ?? '');
    if (key === 'GET /api/v1/interfaces' && ok) {
      const names = ((b?.data ?? []) as Array<{ name: string }>).map((i) => i.name).filter((n) => n !== 'lo');
      iface = names[0] ?? iface;
    }
    if (key === 'GET /api/v1/config/history' && ok) {
      const vs = ((b?.data ?? []) as Array<{ version: number }>).map((v) => v.version).sort((x, y) => x - y);
      if (vs.length) versions = { v1: String(vs[0]), v2: String(vs[vs.length - 1]) };
    }
    if (key === 'GET /api/v1/config/export' && ok) exported = b ?? {};
    if (key === 'GET /api/v1/backup/s3/list' && ok && Array.isArray(a.body) && a.body.length) s3Key = String((a.body[0] as { key: string }).key);
    if (c.captures && ok) {
      const id = b?.data?.id ?? b?.id;
      if (id) ids.set(c.captures, String(id));
      else if (c.captures === 'user' || c.captures === 'role') {
        // AiFw's user and role creates answer a message: the page lists again and finds the name it sent.
        const list = await send('GET', c.captures === 'user' ? '/api/v1/auth/users' : '/api/v1/auth/roles', adminToken);
        const rows = ((list.body as any)?.data ?? (list.body as any)?.roles ?? []) as Array<{ id: string; username?: string; name?: string }>;
        const newest = rows.find((x) => (x.username ?? x.name) === lastSentName) ?? null;
        if (newest) ids.set(c.captures, String(newest.id));
      }
      if (c.captures === 'user' || c.captures === 'role') names.set(c.captures, lastSentName);
    }
  }

  let lastSentName = '';

  test('the contract lists each call once', () => {
    assert.equal(new Set(aifwUiCalls.map(callKey)).size, aifwUiCalls.length);
  });

  test('every call answers 2xx with the fields the page reads', { timeout: 300_000 }, async (t) => {
    const problems: string[] = [];
    for (const c of aifwUiCalls) {
      // The name a user/role create sends, to find it again (its answer carries no id).
      const originalFill = c.body && typeof c.body === 'object' && (c.body as Record<string, unknown>).username === '<new>' ? 'username' : c.body && typeof c.body === 'object' && (c.body as Record<string, unknown>).name === '<new>' ? 'name' : null;
      let a: Answer;
      if (originalFill) {
        lastSentName = `ui_${Math.random().toString(36).slice(2, 10)}`;
        const body = { ...((await bodyOf(c)) as Record<string, unknown>), [originalFill]: lastSentName };
        a = await send(c.method, await urlOf(c), adminToken, body);
      } else {
        a = await run(c);
      }
      await remember(c, a);
      const served = a.status >= 200 && a.status < 300;
      const missing = served ? missingFields(a.body, c.reads) : [];
      if (served && c.claims) {
        const token = ((a.body as any)?.tokens?.access_token ?? (a.body as any)?.access_token) as string | undefined;
        const claims = token ? claimsOf(token) : {};
        for (const claim of c.claims) if (!(claim in claims)) missing.push(`token claim ${claim}`);
      }
      results.push({ call: c, status: a.status, missing });
      if (!served) problems.push(`${callKey(c)} answered ${a.status}: ${a.text.slice(0, 200)}`);
      else if (missing.length) problems.push(`${callKey(c)} lacks ${missing.join(', ')}`);
    }
    const passing = results.filter((x) => x.status >= 200 && x.status < 300 && x.missing.length === 0).length;
    t.diagnostic(`AiFw UI calls served with every field: ${passing} of ${aifwUiCalls.length}`);
    for (const x of results) t.diagnostic(`${x.status >= 200 && x.status < 300 && !x.missing.length ? 'PASS' : 'FAIL'} ${x.status} ${callKey(x.call)}${x.missing.length ? ` lacks ${x.missing.join(', ')}` : ''}`);
    assert.deepEqual(problems, []);
  });

  test('what the calls did is what the pages show next', async () => {
    // The TOTP user's login asked for the code step, without tokens.
    const totpLogin = results.find((x) => callKey(x.call) === 'POST /api/v1/auth/login [TOTP user]');
    assert.ok(totpLogin && totpLogin.status === 200, 'the password step of a TOTP account answers 200');
    // After the deletes, the pages' lists no longer show what was deleted.
    for (const [fixture, path] of [['rule', '/api/v1/rules'], ['nat', '/api/v1/nat'], ['alias', '/api/v1/aliases'], ['schedule', '/api/v1/schedules'], ['vlan', '/api/v1/vlans'], ['route', '/api/v1/routes']] as const) {
      const id = ids.get(fixture);
      assert.ok(id, `the ${fixture} create answered an id`);
      assert.ok(!(await listIds(path)).includes(id), `the deleted ${fixture} is gone from ${path}`);
    }
    // Applying clears the banner.
    const reload = await send('POST', '/api/v1/reload', adminToken);
    assert.equal(reload.status, 200, reload.text);
    assert.deepEqual(pick((await send('GET', '/api/v1/pending', adminToken)).body, ['firewall', 'nat']), { firewall: false, nat: false });
    // The confirmed commit-confirm window is over; the one armed after it counts down.
    const status = (await send('GET', '/api/v1/config/commit-confirm/status', adminToken)).body as { active: boolean; seconds_remaining: number };
    assert.equal(status.active, true);
    assert.ok(status.seconds_remaining > 0 && status.seconds_remaining <= 300);
    assert.equal((await send('POST', '/api/v1/config/commit-confirm/confirm', adminToken)).status, 200);
  });
});

function pick(value: unknown, keys: string[]): Record<string, unknown> {
  const v = (value ?? {}) as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, v[k]]));
}
