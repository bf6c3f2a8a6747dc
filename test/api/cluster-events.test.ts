import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BusEvent } from '../../src/core/events/event-bus.js';
import { createTestRampart } from '../helpers/app.js';
import { onPostgres } from '../helpers/db.js';

test('an event published on one server instance reaches another sharing the PostgreSQL database', { skip: !onPostgres && 'needs PostgreSQL (set RAMPART_TEST_DATABASE_URL)' }, async () => {
  const a = await createTestRampart();
  const b = await createTestRampart({ tdb: a.tdb });
  try {
    const received: BusEvent[] = [];
    const arrived = new Promise<void>((resolve) =>
      b.core.events.subscribe('overlay.*', (event) => {
        received.push(event);
        resolve();
      }),
    );
    const published = await a.core.events.publish('overlay.network.created', { network_id: 'n-1', name: 'lab' });
    await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error('no event within 30 s')), 30_000))]);
    assert.equal(received.length, 1);
    assert.equal(received[0].id, published.id);
    assert.equal(received[0].origin, a.core.events.nodeId);
    assert.deepEqual(received[0].payload, { network_id: 'n-1', name: 'lab' });
  } finally {
    await b.cleanup();
    await a.cleanup();
  }
});
