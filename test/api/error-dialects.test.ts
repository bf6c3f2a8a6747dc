import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Surface } from '../../src/http/dialects.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { probeModule, surfacePaths } from '../helpers/probe-module.js';

/** What a client of each product sees for an error: the shape, and where its message is. */
const envelope: Record<Surface, (body: any) => { code?: string; message: string }> = {
  overlay: (b) => {
    assert.deepEqual(Object.keys(b), ['detail']);
    return { message: b.detail };
  },
  egress: (b) => {
    assert.deepEqual(Object.keys(b), ['error']);
    assert.equal(typeof b.error, 'string');
    return { message: b.error };
  },
  edge: (b) => {
    assert.deepEqual(Object.keys(b), ['error']);
    assert.equal(typeof b.error, 'string');
    return { message: b.error };
  },
  access: (b) => {
    assert.deepEqual(Object.keys(b).sort(), ['detail', 'error']);
    return { code: b.error, message: b.detail };
  },
  fleet: (b) => {
    assert.deepEqual(Object.keys(b.error).sort(), ['code', 'correlation_id', 'fault', 'human_message', 'retryable']);
    assert.equal(b.error.fault, 'client');
    assert.equal(b.error.retryable, false);
    return { code: b.error.code, message: b.error.human_message };
  },
};

describe('errors answer in the dialect of the surface', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart({ modules: [probeModule()] });
  });
  after(() => r.cleanup());

  for (const [surface, path] of Object.entries(surfacePaths) as [Surface, string][]) {
    test(`${surface}: malformed JSON is 400`, async () => {
      const res = await r.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json' }, payload: '{"text": ' });
      assert.equal(res.statusCode, 400);
      const e = envelope[surface](res.json());
      assert.match(e.message, /not valid JSON/);
      if (e.code) assert.equal(e.code, 'bad_request');
    });

    test(`${surface}: a body over 2 MiB is 413`, async () => {
      const payload = JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) });
      const res = await r.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json' }, payload });
      assert.equal(res.statusCode, 413);
      const e = envelope[surface](res.json());
      assert.match(e.message, /exceeds 2097152 bytes/);
      if (e.code) assert.equal(e.code, 'payload_too_large');
    });

    // The access spec codes failed validation 422 validation_error; the other products answer 400.
    const invalid = surface === 'access' ? { status: 422, code: 'validation_error' } : { status: 400, code: 'validation_failed' };
    test(`${surface}: a body failing its schema is ${invalid.status} naming the field`, async () => {
      const res = await r.app.inject({ method: 'POST', url: path, payload: { text: 42 } });
      assert.equal(res.statusCode, invalid.status);
      const e = envelope[surface](res.json());
      assert.match(e.message, /text/);
      if (e.code) assert.equal(e.code, invalid.code);
    });

    test(`${surface}: a wrong method is 405 with Allow`, async () => {
      const res = await r.app.inject({ method: 'DELETE', url: path });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers.allow, 'POST');
      const e = envelope[surface](res.json());
      if (e.code) assert.equal(e.code, 'method_not_allowed');
    });
  }

  const unknownPaths: [Surface, string][] = [
    ['fleet', '/api/v1/no-such-thing'],
    ['overlay', '/api/no-such-thing'],
    ['access', '/v1/no-such-thing'],
    ['access', '/admin/no-such-thing'],
  ];
  for (const [surface, path] of unknownPaths) {
    test(`${surface}: unknown route ${path} is 404`, async () => {
      const res = await r.app.inject({ method: 'GET', url: path });
      assert.equal(res.statusCode, 404);
      const e = envelope[surface](res.json());
      assert.match(e.message, /no route/);
      if (e.code) assert.equal(e.code, 'not_found');
    });
  }

  test('a wrong method on a GET route lists GET and HEAD', async () => {
    const res = await r.app.inject({ method: 'POST', url: '/healthz' });
    assert.equal(res.statusCode, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
    assert.equal(res.json().error, 'method_not_allowed');
  });

  test('an unexpected exception is a generic 500 that leaks nothing', async () => {
    const res = await r.app.inject({ method: 'GET', url: '/api/v1/probe/crash' });
    assert.equal(res.statusCode, 500);
    const body = res.json();
    assert.equal(body.error.code, 'internal_error');
    assert.equal(body.error.fault, 'server');
    assert.equal(body.error.human_message, 'internal server error');
    assert.doesNotMatch(res.body, /secret internals|\/etc\/rampart/);
  });

  test('a non-public route answers 401 while no principal can be resolved', async () => {
    const res = await r.app.inject({ method: 'GET', url: '/api/v1/probe/private' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'unauthorized');
  });

  test('typed path and query parameters are validated and coerced', async () => {
    const bad = await r.app.inject({ method: 'GET', url: '/api/v1/probe/items/not-a-uuid?limit=500' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.human_message, /id/);
    const id = '6f1c2b9e-8a5d-4c1e-9b7a-2d3e4f5a6b7c';
    const ok = await r.app.inject({ method: 'GET', url: `/api/v1/probe/items/${id}?limit=7` });
    assert.deepEqual(ok.json(), { id, limit: 7 });
  });

  test('every response carries the security headers', async () => {
    const res = await r.app.inject({ method: 'GET', url: '/api/v1/no-such-thing' });
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(res.headers['access-control-allow-origin'], undefined, 'CORS is off by default');
  });
});
