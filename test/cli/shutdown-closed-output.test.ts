import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { fetchRaw, spawnRampart } from '../helpers/process.js';

let tdb: TestDatabase;
after(() => tdb?.cleanup());

const SHUTDOWN_TIMEOUT_MS = 10_000;

test('SIGTERM ends serve within the shutdown timeout after the reader of its stdout and stderr has gone', async () => {
  tdb = await createTestDatabase();
  const server = await spawnRampart(['serve', '--insecure-http', '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'], {
    RAMPART_DATA_DIR: tdb.dataDir,
    RAMPART_DATABASE_URL: tdb.url,
    RAMPART_SERVER_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  });
  // The reader goes away (a log shipper that died, a closed terminal pipeline): every later log line meets EPIPE.
  server.proc.stdout!.destroy();
  server.proc.stderr!.destroy();
  assert.equal((await fetchRaw(`${server.url}/api/v1/health`)).status, 200, 'still serving with nobody reading its output');

  server.proc.kill('SIGTERM'); // shutting down logs, into the broken pipe
  let killed = false;
  const deadline = setTimeout(() => {
    killed = true;
    server.proc.kill('SIGKILL');
  }, SHUTDOWN_TIMEOUT_MS);
  const code = await server.exited;
  clearTimeout(deadline);
  assert.equal(killed, false, `serve was still running ${SHUTDOWN_TIMEOUT_MS} ms after SIGTERM`);
  assert.equal(code, 0, 'the graceful shutdown completed');
});
