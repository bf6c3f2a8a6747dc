import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { probeModule } from '../helpers/probe-module.js';

describe('X-Correlation-Id', () => {
  let r: TestRampart;
  const logLines: any[] = [];
  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    r = await createTestRampart({ modules: [probeModule()], logger: pino({ level: 'info' }, sink) });
  });
  after(() => r.cleanup());

  test('a sane id from the client is echoed', async () => {
    const res = await r.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-correlation-id': 'ci-run.42_retry-1' } });
    assert.equal(res.headers['x-correlation-id'], 'ci-run.42_retry-1');
  });

  test('probes polled by monitoring stay out of the info access log; other requests are in it', async () => {
    await r.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-correlation-id': 'probe-quiet' } });
    await r.app.inject({ method: 'GET', url: '/api/v1/probe/notes/count', headers: { 'x-correlation-id': 'probe-loud' } });
    assert.ok(!logLines.some((l) => l.correlation_id === 'probe-quiet'));
    const line = logLines.find((l) => l.correlation_id === 'probe-loud');
    assert.equal(line?.route, '/api/v1/probe/notes/count');
    assert.equal(line?.status, 200);
  });

  test('a missing id is generated, and differs per request', async () => {
    const a = await r.app.inject({ method: 'GET', url: '/healthz' });
    const b = await r.app.inject({ method: 'GET', url: '/healthz' });
    assert.match(String(a.headers['x-correlation-id']), /^[0-9a-f-]{36}$/);
    assert.notEqual(a.headers['x-correlation-id'], b.headers['x-correlation-id']);
  });

  for (const [why, value] of [
    ['too long', 'a'.repeat(129)],
    ['with a space', 'two words'],
    ['with header-injection characters', 'abc;drop<script>'],
  ]) {
    test(`an id ${why} is replaced by a generated one`, async () => {
      const res = await r.app.inject({ method: 'GET', url: '/health', headers: { 'x-correlation-id': value } });
      assert.notEqual(res.headers['x-correlation-id'], value);
      assert.match(String(res.headers['x-correlation-id']), /^[0-9a-f-]{36}$/);
    });
  }

  test('the id reaches the error envelope, the log line and the audit row', async () => {
    const id = 'trace-7f3a';
    const bad = await r.app.inject({ method: 'GET', url: '/api/v1/nope', headers: { 'x-correlation-id': id } });
    assert.equal(bad.json().error.correlation_id, id);
    assert.ok(logLines.some((l) => l.correlation_id === id && l.status === 404), 'request log line carries the id');

    const created = await r.app.inject({ method: 'POST', url: '/api/v1/probe/notes', headers: { 'x-correlation-id': id }, payload: { text: 'hi' } });
    assert.equal(created.statusCode, 201);
    const { items } = await r.core.audit.list({ correlationId: id }, { limit: 10 });
    assert.equal(items.length, 1);
    assert.equal(items[0].action, 'probe.note.create');
  });

  test('an unexpected error is logged with its detail and the request\'s id (the request logger is made when it logs)', async () => {
    const id = 'crash-9b1c';
    const res = await r.app.inject({ method: 'GET', url: '/api/v1/probe/crash', headers: { 'x-correlation-id': id } });
    assert.equal(res.statusCode, 500);
    const failed = logLines.find((l) => l.correlation_id === id && l.msg === 'request failed');
    assert.ok(failed, 'the error line carries the id');
    assert.equal(failed.level, 50);
    assert.match(failed.err.message, /secret internals/);
    assert.ok(logLines.some((l) => l.correlation_id === id && l.msg === 'request' && l.status === 500), 'and so does its access line');
  });
});
