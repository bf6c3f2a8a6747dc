import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { writeAccessLine } from '../../src/http/access-log.js';
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
