import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineRoute } from '../../src/http/route.js';
import type { RampartModule } from '../../src/modules/module.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn } from '../helpers/identity.js';

const STREAM = '/api/v1/probe/stream';
const PLAIN = '/api/v1/probe/whoami';

/** A stand-in for a browser stream (identity has none yet): one route that takes tickets, one that does not. */
function streamModule(): RampartModule {
  const whoami = ({ principal }: { principal: { id: string; via?: string } | null }) => ({ id: principal!.id, via: principal!.via });
  return {
    name: 'stream-probe',
    http: () => ({
      name: 'stream-probe',
      routes: [
        defineRoute({ method: 'GET', path: STREAM, surface: 'edge', permission: 'authenticated', tickets: true, summary: 'a stream', schema: {}, handler: whoami }),
        defineRoute({ method: 'GET', path: PLAIN, surface: 'edge', permission: 'authenticated', summary: 'no tickets here', schema: {}, handler: whoami }),
      ],
    }),
  };
}

describe('ws-ticket: single-use tickets for browser streams', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T12:00:00Z');
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));

  before(async () => {
    r = await createTestRampart({ modules: [streamModule()], now: () => clock });
  });
  after(() => r.cleanup());

  const mint = (headers: Record<string, string>) => r.app.inject({ method: 'POST', url: '/api/v1/auth/ws-ticket', headers });
  const get = (url: string) => r.app.inject({ method: 'GET', url });

  test('a ticket is 256 bits of hex valid for 30 s, opens a stream once as its user, and is refused the second time', async () => {
    const { user, headers } = await signIn(r);
    const res = await mint(headers);
    assert.equal(res.statusCode, 200, res.body);
    const { ticket, expires_in } = res.json();
    assert.match(ticket, /^[0-9a-f]{64}$/);
    assert.equal(expires_in, 30);

    const first = await get(`${STREAM}?ticket=${ticket}`);
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json(), { id: user.id, via: 'ticket' });

    const second = await get(`${STREAM}?ticket=${ticket}`);
    assert.equal(second.statusCode, 401);
    assert.deepEqual(Object.keys(second.json()), ['error']);
  });

  test('a ticket expires after 30 s unused', async () => {
    const { headers } = await signIn(r);
    const fresh = (await mint(headers)).json().ticket;
    const stale = (await mint(headers)).json().ticket;
    later(29);
    assert.equal((await get(`${STREAM}?ticket=${fresh}`)).statusCode, 200, 'still valid at 29 s');
    later(1);
    assert.equal((await get(`${STREAM}?ticket=${stale}`)).statusCode, 401, 'expired at 30 s');
  });

  test('a JWT in the query string is refused, as ?token= and as ?ticket=', async () => {
    const { token } = await signIn(r);
    assert.equal((await get(`${STREAM}?token=${token}`)).statusCode, 401);
    assert.equal((await get(`${STREAM}?access_token=${token}`)).statusCode, 401);
    assert.equal((await get(`${STREAM}?ticket=${token}`)).statusCode, 401);
  });

  test('a ticket is refused on a route that does not take tickets, and is not spent there', async () => {
    const { headers } = await signIn(r);
    const { ticket } = (await mint(headers)).json();
    assert.equal((await get(`${PLAIN}?ticket=${ticket}`)).statusCode, 401);
    assert.equal((await get(`${STREAM}?ticket=${ticket}`)).statusCode, 200);
  });

  test('minting a ticket needs a signed-in caller', async () => {
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/auth/ws-ticket' });
    assert.equal(res.statusCode, 401);
  });

  test('minting is rate limited per client with 429 and Retry-After', async () => {
    const { headers } = await signIn(r);
    let res = await mint(headers);
    for (let i = 0; i < r.config.auth.login_rate_limit_per_minute && res.statusCode === 200; i++) res = await mint(headers);
    assert.equal(res.statusCode, 429);
    assert.ok(Number(res.headers['retry-after']) > 0);
  });
});
