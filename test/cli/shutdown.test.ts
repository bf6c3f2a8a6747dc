import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, test } from 'node:test';
import { openDatabase } from '../../src/core/db/database.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { fetchRaw, spawnRampart } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

let tdb: TestDatabase;
after(() => tdb?.cleanup());

test('SIGTERM during a stream of writes loses no acknowledged write', async () => {
  tdb = await createTestDatabase();
  const server = await spawnRampart([], {
    RAMPART_DATA_DIR: tdb.dataDir,
    RAMPART_DATABASE_URL: tdb.url,
    RAMPART_SERVER_LISTEN: '127.0.0.1:0',
    RAMPART_SERVER_METRICS_LISTEN: '127.0.0.1:0',
    RAMPART_SERVER_INSECURE_HTTP: 'true',
  }, 'test/fixtures/serve-with-probe.ts');

  const acked: { id: string; text: string; afterSignal: boolean }[] = [];
  let signalled = false;
  let refused = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });

  // Eight writers, each sending writes that take 150 ms, until the server stops answering.
  const writer = async (w: number) => {
    for (let i = 0; i < 400; i++) {
      const text = `w${w}-${i}`;
      const sentBeforeSignal = !signalled;
      try {
        const res = await fetchRaw(`${server.url}/api/v1/probe/slow-notes?delay_ms=150`, { method: 'POST', body: { text }, agent });
        if (res.status === 201) acked.push({ id: res.json().id, text, afterSignal: sentBeforeSignal && signalled });
        else refused++;
      } catch {
        refused++;
        if (signalled) return;
      }
      if (signalled && refused > 50) return;
    }
  };
  const writers = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(writer));
  await waitFor('40 acknowledged writes', () => acked.length >= 40, 60_000);
  signalled = true;
  server.proc.kill('SIGTERM');
  const code = await server.exited;
  await writers;
  agent.destroy();

  assert.equal(code, 0, 'graceful shutdown exits 0');
  assert.ok(acked.some((a) => a.afterSignal), 'writes in flight when the signal came were finished and acknowledged');
  assert.ok(refused > 0, 'writes after the signal were refused, not silently dropped');

  const db = openDatabase({ url: tdb.url, dataDir: tdb.dataDir });
  try {
    const rows = await db.kysely.selectFrom('probe_notes').select(['id', 'text']).execute();
    const stored = new Map(rows.map((r) => [r.id, r.text]));
    const lost = acked.filter((a) => stored.get(a.id) !== a.text);
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes are missing`);
  } finally {
    await db.close();
  }
});
