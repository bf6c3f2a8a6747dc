import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { writeAccessLine } from '../../src/http/access-log.js';
import { LazyChildLogger, requestLogger } from '../../src/http/request-logger.js';
import { loggerOptions } from '../../src/core/logger.js';

const fields = { method: 'GET', route: '/api/x/:id', path: '/api/x/"é\u0001\\', status: 200, ms: 1.5 };
const withoutTime = (line: string) => line.replace(/"time":("[^"]*"|\d+)/, '"time":T');

test("the access line is written byte for byte as pino's own call writes it (Rampart's options, a child's bindings)", () => {
  const lines: string[] = [];
  const root = pino(loggerOptions({ log: { level: 'debug', format: 'json' } } as never), { write: (l: string) => void lines.push(l) });
  const log = root.child({ correlation_id: 'req-"1"' });
  for (const level of ['info', 'debug'] as const) {
    lines.length = 0;
    log[level](fields, 'request');
    writeAccessLine(log, level, fields);
    assert.equal(lines.length, 2);
    assert.equal(withoutTime(lines[1]), withoutTime(lines[0]));
    assert.deepEqual(JSON.parse(lines[1]).path, fields.path);
  }
});

test('a logger with other settings (pid and hostname, epoch time) still gets the same line', () => {
  const lines: string[] = [];
  const log = pino({ level: 'info', timestamp: pino.stdTimeFunctions.epochTime }, { write: (l: string) => void lines.push(l) });
  log.info(fields, 'request');
  writeAccessLine(log, 'info', fields);
  assert.equal(withoutTime(lines[1]), withoutTime(lines[0]));
});

test('a logger with a mixin gets the generic call, mixin included', () => {
  const lines: string[] = [];
  const log = pino({ level: 'info', mixin: () => ({ node: 'n1' }) }, { write: (l: string) => void lines.push(l) });
  writeAccessLine(log, 'info', fields);
  assert.equal(JSON.parse(lines[0]).node, 'n1');
});

test("a request's logger is made only when something logs through it; its lines carry the correlation id as a child's do", () => {
  const lines: string[] = [];
  const root = pino(loggerOptions({ log: { level: 'info', format: 'json' } } as never), { write: (l: string) => void lines.push(l) });
  const eager = root.child({ correlation_id: 'req-"1"' });
  const lazy = requestLogger(root, { correlation_id: 'req-"1"' }, {});
  assert.ok(lazy instanceof LazyChildLogger);

  // The access line: written from the parent with the request's bindings, the child never made.
  eager.info(fields, 'request');
  writeAccessLine(lazy, 'info', fields);
  assert.equal(withoutTime(lines[1]), withoutTime(lines[0]));
  lazy.debug({ detail: 'below the level' }, 'dropped');
  assert.equal(lines.length, 2);
  assert.equal(lazy.materialized, false);

  // An error is logged as the child logs it, and from then on the child writes every line.
  eager.error({ err: new Error('boom'), code: 'internal' }, 'request failed');
  lazy.error({ err: new Error('boom'), code: 'internal' }, 'request failed');
  const [expected, got] = lines.slice(2).map((l) => JSON.parse(l));
  assert.equal(got.correlation_id, 'req-"1"');
  assert.equal(got.err.message, 'boom');
  assert.deepEqual({ ...got, time: 0, err: { ...got.err, stack: '' } }, { ...expected, time: 0, err: { ...expected.err, stack: '' } });
  assert.equal(lazy.materialized, true);
  writeAccessLine(lazy, 'info', fields);
  assert.equal(withoutTime(lines[4]), withoutTime(lines[0]));
});

test('a request logger given options of its own (a route log level) is a child at once', () => {
  const root = pino({ level: 'info' }, { write: () => {} });
  const log = requestLogger(root, { correlation_id: 'x' }, { level: 'debug' });
  assert.equal(log instanceof LazyChildLogger, false);
  assert.equal(log.level, 'debug');
});
