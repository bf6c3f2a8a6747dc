/**
 * The intelligence scheduler queues one collection per host per interval: hosts never collected first, none in
 * maintenance, at most rate_limit per round, nothing under maintenance_global, and a round claimed once even when
 * two nodes run it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fleetServices, type FleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createIntelligenceScheduler } from '../../src/modules/fleet/intelligence/intelligence.scheduler.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

let clock = new Date('2026-06-01T00:00:00.000Z');
let r: TestRampart;
let fleet: FleetServices;
const ids: string[] = [];

const queued = async () =>
  (await r.core.db.kysely.selectFrom('jobs').select('payload').where('type', '=', 'fleet.intelligence').execute()).map(
    (j) => r.core.db.dialect.fromJson<{ host_id: string }>(j.payload).host_id,
  );

before(async () => {
  r = await createTestRampart({ now: () => clock });
  fleet = fleetServices(r.core);
  for (const name of ['one', 'two', 'resting']) ids.push((await fleet.hosts.create({ hostname: name, ip_address: '10.213.11.1' }, null)).id);
  await fleet.hosts.setMaintenance(ids[2], true);
});
after(() => r.cleanup());

test('each host once per interval, never in maintenance, at most rate_limit per round', async () => {
  await fleet.config.put('intelligence', { interval_sec: 3600, rate_limit: 1 }, null);
  assert.equal(await fleet.intelligenceScheduler.tick(), 1);
  assert.equal(await fleet.intelligenceScheduler.tick(), 1);
  assert.equal(await fleet.intelligenceScheduler.tick(), 0, 'both live hosts are scheduled, the one in maintenance never');
  assert.deepEqual((await queued()).sort(), [ids[0], ids[1]].sort());

  await fleet.config.put('intelligence', { rate_limit: 10 }, null);
  clock = new Date(clock.getTime() + 30 * 60_000);
  assert.equal(await fleet.intelligenceScheduler.tick(), 0, 'not due before the interval (less its jitter) passed');
  clock = new Date(clock.getTime() + 60 * 60_000);
  assert.equal(await fleet.intelligenceScheduler.tick(), 2);
  assert.equal((await queued()).length, 4);
});

test('maintenance_global pauses scheduling', async () => {
  clock = new Date(clock.getTime() + 3 * 3600_000);
  await fleet.config.put('intelligence', { maintenance_global: true }, null);
  assert.equal(await fleet.intelligenceScheduler.tick(), 0);
  await fleet.config.put('intelligence', { maintenance_global: false }, null);
});

test('two nodes running the same round queue each host once', async () => {
  clock = new Date(clock.getTime() + 3 * 3600_000);
  const before = (await queued()).length;
  const other = createIntelligenceScheduler({ core: r.core, config: fleet.config });
  const [a, b] = await Promise.all([fleet.intelligenceScheduler.tick(), other.tick()]);
  assert.equal(a + b, 2);
  assert.equal((await queued()).length - before, 2);
});
