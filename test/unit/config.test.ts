import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, configKeys, loadConfig, redactConfig } from '../../src/core/config/load.js';
import { repoRoot } from '../helpers/process.js';

const withFile = (toml: string, fn: (dir: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-config-'));
  try {
    writeFileSync(join(dir, 'rampart.toml'), toml);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('defaults: HTTPS on 8443, metrics on loopback, SQLite in ./data', () => {
  const c = loadConfig({ env: {}, cwd: '/srv/x' });
  assert.equal(c.server.listen, '0.0.0.0:8443');
  assert.equal(c.server.metrics_listen, '127.0.0.1:9464');
  assert.equal(c.server.insecure_http, false);
  assert.equal(c.database.url, '');
  assert.equal(c.data_dir, '/srv/x/data');
});

test('the file, then env, then flags: each overrides the previous', () => {
  withFile('data_dir = "/var/lib/r"\n[server]\nlisten = "10.0.0.1:443"\nmetrics_listen = "127.0.0.1:1"\n[jobs]\nconcurrency = 4\n', (dir) => {
    const c = loadConfig({
      cwd: dir,
      env: { RAMPART_SERVER_METRICS_LISTEN: '127.0.0.1:2', RAMPART_JOBS_CONCURRENCY: '8', RAMPART_SERVER_CORS_ORIGINS: 'https://a, https://b' },
      overrides: { 'server.metrics_listen': '127.0.0.1:3' },
    });
    assert.equal(c.data_dir, '/var/lib/r');
    assert.equal(c.server.listen, '10.0.0.1:443');
    assert.equal(c.server.metrics_listen, '127.0.0.1:3');
    assert.equal(c.jobs.concurrency, 8);
    assert.deepEqual(c.server.cors_origins, ['https://a', 'https://b']);
  });
});

test('bad values and unknown keys are refused by name', () => {
  const refused = (opts: Parameters<typeof loadConfig>[0], key: RegExp) =>
    assert.throws(() => loadConfig({ env: {}, ...opts }), (err: unknown) => err instanceof ConfigError && key.test(err.message));
  refused({ env: { RAMPART_SERVER_LISTEN: '8443' } }, /^server\.listen: expected HOST:PORT/);
  refused({ env: { RAMPART_SERVER_LISTEN: 'localhost:70000' } }, /^server\.listen/);
  refused({ env: { RAMPART_LOG_LEVEL: 'loud' } }, /^log\.level/);
  refused({ env: { RAMPART_SERVER_INSECURE_HTTP: 'maybe' } }, /^server\.insecure_http/);
  refused({ overrides: { 'tls.cert': 'x' } }, /^tls\.cert: unknown key/);
  withFile('[server\nlisten=', (dir) => refused({ cwd: dir }, /not valid TOML/));
  refused({ file: '/nonexistent/rampart.toml' }, /cannot read/);
});

test('IPv6 listen addresses in brackets are accepted', () => {
  assert.equal(loadConfig({ env: { RAMPART_SERVER_LISTEN: '[::1]:8443' } }).server.listen, '[::1]:8443');
});

test('secrets are redacted for printing', () => {
  const c = loadConfig({ env: { RAMPART_DATABASE_URL: 'postgres://u:pw@h/db', RAMPART_SECRETS_KEY: 'abc=' } });
  const r = redactConfig(c) as any;
  assert.equal(r.database.url, 'postgres://u:REDACTED@h/db');
  assert.equal(r.secrets.key, 'REDACTED');
  assert.equal(c.secrets.key, 'abc=', 'the live configuration keeps its values');
});

test('docs/configuration.md documents every key with its env variable', () => {
  const doc = readFileSync(join(repoRoot, 'docs/configuration.md'), 'utf8');
  for (const key of configKeys()) {
    assert.ok(doc.includes(`\`${key}\``), `${key} is documented`);
    assert.ok(doc.includes(`RAMPART_${key.replace('.', '_').toUpperCase()}`), `${key}'s env variable is documented`);
  }
});
