import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { ConfigError } from '../../src/core/config/load.js';
import type { Database } from '../../src/core/db/database.js';
import { RampartError } from '../../src/core/errors.js';
import { generateKey, keyId, loadKeyring, staticKeyring, writeKeyFile } from '../../src/core/secrets/keyring.js';
import { rotateSecretKey } from '../../src/core/secrets/rotate.js';
import { createSealedColumnRegistry } from '../../src/core/secrets/sealed-columns.js';
import { createSecretBox, type SecretBox } from '../../src/core/secrets/secret-box.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/db.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const config = (dataDir: string, secrets: { key_file?: string; key?: string } = {}) => ({
  data_dir: dataDir,
  secrets: { key_file: '', key: '', ...secrets },
});

const fileKeys = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

function assertUndecryptable(fn: () => unknown, leaked?: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RampartError);
    assert.equal(err.code, 'secret_undecryptable');
    assert.equal(err.status, 500);
    assert.equal(err.fault, 'server');
    if (leaked) assert.ok(!JSON.stringify({ m: err.message, d: err.details }).includes(leaked));
    return true;
  });
}

test('a sealed secret opens to the same bytes, and two seals of one value differ', () => {
  const box = createSecretBox(staticKeyring([generateKey()]));
  const sealed = box.seal('hunter2 ✓', 'users.password');
  assert.match(sealed, new RegExp(`^rs1\\.${box.activeKeyId()}\\.[A-Za-z0-9_-]+$`));
  assert.ok(!sealed.includes('hunter2'));
  assert.equal(box.openString(sealed, 'users.password'), 'hunter2 ✓');
  assert.notEqual(box.seal('hunter2 ✓', 'users.password'), sealed);
  const bytes = Buffer.from([0, 1, 2, 255]);
  assert.deepEqual(box.open(box.seal(bytes, 'pki.key'), 'pki.key'), bytes);
  assert.equal(box.openString(box.seal('', 'x.y'), 'x.y'), '');
});

test('a ciphertext does not open under another context (moved to another column)', () => {
  const box = createSecretBox(staticKeyring([generateKey()]));
  const sealed = box.seal('s3cret-value', 'providers.client_secret');
  assertUndecryptable(() => box.open(sealed, 'hosts.ssh_password'), 's3cret-value');
});

test('an altered ciphertext, an unknown key and garbage are refused without leaking the plaintext', () => {
  const box = createSecretBox(staticKeyring([generateKey()]));
  const sealed = box.seal('s3cret-value', 'a.b');
  const [version, id, body] = sealed.split('.');
  const raw = Buffer.from(body, 'base64url');
  raw[14] ^= 1;
  assertUndecryptable(() => box.open(`${version}.${id}.${raw.toString('base64url')}`, 'a.b'), 's3cret-value');
  const otherBox = createSecretBox(staticKeyring([generateKey()]));
  assertUndecryptable(() => otherBox.open(sealed, 'a.b'), 's3cret-value');
  assertUndecryptable(() => box.open('s3cret-value', 'a.b'), 's3cret-value');
  assertUndecryptable(() => box.open(`${version}.${id}.AAAA`, 'a.b'));
});

test('the key file is created 0600 (in a 0700 data dir) on first start and reused afterwards', (t) => {
  const dataDir = join(tempDir(t), 'data');
  const first = loadKeyring(config(dataDir));
  const path = join(dataDir, 'secret.key');
  assert.deepEqual(first.source, { kind: 'file', path, created: true });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(dataDir), ['secret.key']);
  const sealed = createSecretBox(first).seal('kept across restarts', 'a.b');

  const second = loadKeyring(config(dataDir));
  assert.equal(second.source.kind === 'file' && second.source.created, false);
  assert.equal(createSecretBox(second).openString(sealed, 'a.b'), 'kept across restarts');
  assert.equal(fileKeys(path).length, 1);
});

test('secrets.key_file names another file, created on first start too', (t) => {
  const dir = tempDir(t);
  const keyring = loadKeyring(config(join(dir, 'data'), { key_file: join(dir, 'keys', 'rampart.key') }));
  assert.equal(keyring.source.kind === 'file' && keyring.source.path, join(dir, 'keys', 'rampart.key'));
  assert.equal(statSync(join(dir, 'keys', 'rampart.key')).mode & 0o777, 0o600);
  assert.equal(existsSync(join(dir, 'data', 'secret.key')), false);
});

test('a key file readable by others, or with a malformed key, is refused with its path named', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'secret.key');
  writeKeyFile(path, [generateKey()]);
  chmodSync(path, 0o644);
  assert.throws(() => loadKeyring(config(dir)), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /secrets\.key_file/);
    assert.ok(err.message.includes(path));
    assert.match(err.message, /0644/);
    return true;
  });
  chmodSync(path, 0o600);
  writeFileSync(path, `${generateKey().toString('base64')}\n${Buffer.alloc(16).toString('base64')}\n`);
  assert.throws(() => loadKeyring(config(dir)), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.ok(err.message.includes(path));
    assert.match(err.message, /line 2 .*32-byte/);
    return true;
  });
});

test('keys from secrets.key are used instead of a file, newest first', (t) => {
  const dir = tempDir(t);
  const [newer, older] = [generateKey(), generateKey()];
  const sealedOld = createSecretBox(staticKeyring([older])).seal('old value', 'a.b');
  const keyring = loadKeyring(config(dir, { key: `${newer.toString('base64')}, ${older.toString('base64')}` }));
  const box = createSecretBox(keyring);
  assert.equal(box.activeKeyId(), keyId(newer));
  assert.equal(box.openString(sealedOld, 'a.b'), 'old value');
  assert.equal(box.needsRotation(sealedOld), true);
  assert.equal(box.needsRotation(box.seal('x', 'a.b')), false);
  assert.deepEqual(readdirSync(dir), []);
  assert.throws(() => loadKeyring(config(dir, { key: 'c2hvcnQ=' })), /secrets\.key: key 1 is not a base64-encoded 32-byte key/);
});

// --- rotation, on both databases -----------------------------------------------------------------------------

const TABLE = 'secrets_test_items';
const PLAINTEXTS = Array.from({ length: 7 }, (_, i) => `plaintext-marker-${i}-${randomUUID()}`);

async function itemsDatabase(t: { after(fn: () => Promise<void>): void }): Promise<{ tdb: TestDatabase; db: Database }> {
  const tdb = await createTestDatabase();
  t.after(() => tdb.cleanup());
  const db = tdb.open();
  await db.kysely.schema
    .createTable(TABLE)
    .addColumn('id', db.dialect.types.uuid, (c) => c.primaryKey())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .execute();
  return { tdb, db };
}

const items = (db: Database) => db.kysely as Kysely<any>;

async function insertItems(db: Database, box: SecretBox, context: string) {
  for (const [i, p] of PLAINTEXTS.entries()) {
    await items(db).insertInto(TABLE).values({ id: randomUUID(), label: `item ${i}`, secret: box.seal(p, context) }).execute();
  }
  await items(db).insertInto(TABLE).values({ id: randomUUID(), label: 'no secret', secret: null }).execute();
}

async function secrets(db: Database): Promise<Map<string, string>> {
  const rows = await items(db).selectFrom(TABLE).select(['id', 'secret']).where('secret', 'is not', null).execute();
  return new Map(rows.map((r) => [r.id, r.secret]));
}

async function assertNoPlaintextStored(tdb: TestDatabase, db: Database) {
  const rows = JSON.stringify(await items(db).selectFrom(TABLE).selectAll().execute());
  for (const p of PLAINTEXTS) assert.ok(!rows.includes(p));
  if (!onPostgres) {
    for (const name of readdirSync(tdb.dataDir).filter((n) => n.startsWith('rampart.db'))) {
      const bytes = readFileSync(join(tdb.dataDir, name));
      for (const p of PLAINTEXTS) assert.equal(bytes.includes(p), false, `${name} holds a plaintext`);
    }
  }
}

test('rotation re-encrypts every registered value under a new key and drops the old key from the file', async (t) => {
  const { tdb, db } = await itemsDatabase(t);
  const registry = createSealedColumnRegistry();
  const column = registry.register({ table: TABLE, column: 'secret' });
  assert.equal(column.context, `${TABLE}.secret`);
  const keyFile = join(tdb.dataDir, 'secret.key');
  const serverKeyring = loadKeyring(config(tdb.dataDir));
  const serverBox = createSecretBox(serverKeyring);
  const oldId = serverBox.activeKeyId();
  await insertItems(db, serverBox, column.context);
  const before = await secrets(db);

  const summary = await rotateSecretKey({ db, registry, keyFilePath: keyFile, batchSize: 3 });

  assert.notEqual(summary.new_key_id, oldId);
  assert.deepEqual(summary.retired_key_ids, [oldId]);
  assert.deepEqual(summary.rows_reencrypted, { [`${TABLE}.secret`]: PLAINTEXTS.length });
  assert.equal(summary.new_key, undefined);
  const lines = fileKeys(keyFile);
  assert.equal(lines.length, 1);
  assert.equal(keyId(Buffer.from(lines[0], 'base64')), summary.new_key_id);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(tdb.dataDir).filter((n) => n.includes('.tmp-')), []);

  const onlyNewKey = createSecretBox(loadKeyring(config(tdb.dataDir)));
  const after = await secrets(db);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [id, sealed] of after) {
    assert.notEqual(sealed, before.get(id));
    assert.ok(sealed.startsWith(`rs1.${summary.new_key_id}.`));
    assert.ok(PLAINTEXTS.includes(onlyNewKey.openString(sealed, column.context)));
  }
  assert.equal(await items(db).selectFrom(TABLE).select('id').where('secret', 'is', null).execute().then((r) => r.length), 1);
  await assertNoPlaintextStored(tdb, db);
  // A server still running picks up the rewritten key file: it opens the new values and seals under the new key.
  assert.equal(serverBox.activeKeyId(), summary.new_key_id);
  assert.ok(PLAINTEXTS.includes(serverBox.openString([...after.values()][0], column.context)));
});

test('an interrupted rotation (two keys in the file, half the rows moved) completes on rerun', async (t) => {
  const { tdb, db } = await itemsDatabase(t);
  const registry = createSealedColumnRegistry();
  const { context } = registry.register({ table: TABLE, idColumn: 'id', column: 'secret', context: 'items.secret' });
  const [oldKey, newKey] = [generateKey(), generateKey()];
  const keyFile = join(tdb.dataDir, 'secret.key');
  writeKeyFile(keyFile, [oldKey]);
  await insertItems(db, createSecretBox(staticKeyring([oldKey])), context);
  // The state a crash leaves: the new key first in the file, some rows already under it.
  writeKeyFile(keyFile, [newKey, oldKey]);
  const midway = createSecretBox(staticKeyring([newKey, oldKey]));
  const ids = [...(await secrets(db)).entries()].slice(0, 3);
  for (const [id, sealed] of ids) {
    await items(db).updateTable(TABLE).set({ secret: midway.seal(midway.open(sealed, context), context) }).where('id', '=', id).execute();
  }

  const summary = await rotateSecretKey({ db, registry, keyFilePath: keyFile });

  assert.equal(summary.new_key_id, keyId(newKey));
  assert.deepEqual(summary.retired_key_ids, [keyId(oldKey)]);
  assert.deepEqual(summary.rows_reencrypted, { [`${TABLE}.secret`]: PLAINTEXTS.length - 3 });
  assert.deepEqual(fileKeys(keyFile), [newKey.toString('base64')]);
  const onlyNewKey = createSecretBox(staticKeyring([newKey]));
  const opened = [...(await secrets(db)).values()].map((s) => onlyNewKey.openString(s, context));
  assert.deepEqual(opened.sort(), [...PLAINTEXTS].sort());
  await assertNoPlaintextStored(tdb, db);
});

test('with keys from secrets.key, rotation announces and returns the new key, which alone opens every value', async (t) => {
  const { db } = await itemsDatabase(t);
  const registry = createSealedColumnRegistry();
  const { context } = registry.register({ table: TABLE, column: 'secret' });
  const oldKey = generateKey();
  await insertItems(db, createSecretBox(staticKeyring([oldKey])), context);
  let announced: string | undefined;

  const summary = await rotateSecretKey({
    db,
    registry,
    configKeys: oldKey.toString('base64'),
    onNewKey: (key) => {
      announced = key;
    },
  });

  assert.ok(summary.new_key);
  assert.equal(announced, summary.new_key);
  assert.equal(summary.new_key_id, keyId(Buffer.from(summary.new_key, 'base64')));
  assert.deepEqual(summary.retired_key_ids, [keyId(oldKey)]);
  const box = createSecretBox(loadKeyring(config('/nonexistent', { key: summary.new_key })));
  const opened = [...(await secrets(db)).values()].map((s) => box.openString(s, context));
  assert.deepEqual(opened.sort(), [...PLAINTEXTS].sort());
});
