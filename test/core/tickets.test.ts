import { tmpdir } from 'node:os';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/core/config/load.js';
import { RampartError } from '../../src/core/errors.js';
import { createTickets } from '../../src/core/identity/sessions/tickets.js';
import type { Principal } from '../../src/core/principal.js';

const alice: Principal = { type: 'user', id: 'u-alice', name: 'alice', permissions: new Set(['dashboard:view']), roles: ['viewer'], via: 'bearer' };

function setup(maxOutstanding?: number) {
  let clock = new Date('2026-06-10T12:00:00Z');
  const config = loadConfig({ env: {}, cwd: tmpdir(), overrides: { 'auth.ws_ticket_ttl_s': 30 } });
  const tickets = createTickets({ config, now: () => clock }, maxOutstanding);
  return { tickets, advance: (ms: number) => void (clock = new Date(clock.getTime() + ms)) };
}

test('a ticket is 256 bits of hex, valid for the configured 30 s, and redeems once for the principal it was issued to', () => {
  const { tickets } = setup();
  const issued = tickets.issue(alice);
  assert.match(issued.ticket, /^[0-9a-f]{64}$/);
  assert.equal(issued.expires_in, 30);
  const principal = tickets.consume(issued.ticket);
  assert.equal(principal?.id, 'u-alice');
  assert.equal(principal?.via, 'ticket');
  assert.deepEqual([...principal!.permissions], ['dashboard:view']);
  assert.equal(tickets.consume(issued.ticket), null, 'a second use is refused');
  assert.equal(alice.via, 'bearer', 'the issuing principal is not changed');
});

test('every ticket is different', () => {
  const { tickets } = setup();
  const seen = new Set(Array.from({ length: 50 }, () => tickets.issue(alice).ticket));
  assert.equal(seen.size, 50);
});

test('a ticket expires after its lifetime, even unused', () => {
  const { tickets, advance } = setup();
  const early = tickets.issue(alice).ticket;
  const late = tickets.issue(alice).ticket;
  advance(29_999);
  assert.equal(tickets.consume(early)?.id, 'u-alice', 'still valid just before 30 s');
  advance(1);
  assert.equal(tickets.consume(late), null, 'expired at 30 s');
});

test('anything but 64 hex characters is refused, a JWT included', () => {
  const { tickets } = setup();
  const { ticket } = tickets.issue(alice);
  for (const bad of [ticket.toUpperCase(), ticket.slice(1), `${ticket}0`, 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.sig', '']) {
    assert.equal(tickets.consume(bad), null, bad);
  }
  assert.equal(tickets.consume(ticket)?.id, 'u-alice', 'the failed attempts did not spend the real ticket');
});

test('beyond the cap of outstanding tickets new ones are refused with 503 until old ones expire', () => {
  const { tickets, advance } = setup(3);
  for (let i = 0; i < 3; i++) tickets.issue(alice);
  assert.throws(() => tickets.issue(alice), (err: unknown) => err instanceof RampartError && err.status === 503);
  advance(30_000);
  assert.match(tickets.issue(alice).ticket, /^[0-9a-f]{64}$/);
});
