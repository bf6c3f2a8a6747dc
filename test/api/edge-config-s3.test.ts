import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';
import { edgeTestModule, installTestSections, type TestSections } from '../helpers/edge-config-sections.js';

const BUCKET = 'rampart-backups';
const SECRET = 'S3RVER';

/** A port free on loopback now (for an endpoint where nothing listens). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('edge S3 backups against a local S3-compatible server (s3rver on loopback)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let s: TestSections;
  let s3rver: S3rver;
  let endpoint: string;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-s3rver-'));
    s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
    const { port } = (await s3rver.run()) as AddressInfo;
    endpoint = `http://127.0.0.1:${port}`;
    r = await createTestRampart({ modules: [edgeTestModule()] });
    s = installTestSections(r.core, ['rules', 'aliases']);
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(async () => {
    await r?.cleanup();
    await s3rver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (method: string, url: string, payload?: unknown) =>
    r.app.inject({ method: method as 'GET', url, headers: admin.headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const destination = (extra: Record<string, unknown> = {}) => ({
    enabled: true, bucket: BUCKET, region: 'us-east-1', endpoint, prefix: 'edge/prod', path_style: true, access_key_id: 'S3RVER', ...extra,
  });

  /** Waits until s3rver has flushed the object (it answers a PUT before its file is written out). */
  const storedWhole = (key: string) => waitFor(`s3://${BUCKET}/${key} flushed`, async () => {
    const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: SECRET } });
    try {
      const text = await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();
      try { return JSON.parse(text) !== undefined; } catch { return false; }
    } finally {
      client.destroy();
    }
  }, 30_000);

  test('before it is enabled: list, import and upload are 400; bad settings are 400 and change nothing', async () => {
    const get = await call('GET', '/api/v1/backup/s3/config');
    assert.deepEqual(get.json(), { enabled: false, bucket: '', region: 'us-east-1', endpoint: null, prefix: '', path_style: false, access_key_id: null, has_secret: false });
    assert.equal((await call('GET', '/api/v1/backup/s3/list')).statusCode, 400);
    assert.equal((await call('POST', '/api/v1/backup/s3/import', { key: 'x.json' })).statusCode, 400);
    assert.equal((await call('POST', '/api/v1/backup/s3/upload', {})).statusCode, 400);
    for (const body of [
      { enabled: true, bucket: '' },
      { enabled: true, bucket: BUCKET, endpoint: 'ftp://127.0.0.1/' },
      { enabled: true, bucket: BUCKET, endpoint: 'not a url' },
      { enabled: 'yes', bucket: BUCKET },
      { enabled: true, bucket: BUCKET, extra: 1 },
    ]) {
      const res = await call('PUT', '/api/v1/backup/s3/config', body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(typeof res.json().error, 'string');
    }
    assert.deepEqual((await call('GET', '/api/v1/backup/s3/config')).json(), get.json());
  });

  test('the secret key is sealed at rest and never answered; wrong credentials fail the test, right ones pass write, read and delete', async () => {
    // s3rver checks the access key id (it does not verify SigV4 signatures): the wrong credential is the key id.
    const put = await call('PUT', '/api/v1/backup/s3/config', destination({ access_key_id: 'NOBODY', secret_access_key: 'wrong-secret' }));
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().has_secret, true);
    assert.ok(!put.body.includes('wrong-secret'));
    const row = await r.core.db.kysely.selectFrom('edge_config_s3').select('secret_sealed').executeTakeFirstOrThrow();
    assert.match(row.secret_sealed!, /^rs1\./);
    assert.ok(!row.secret_sealed!.includes('wrong-secret'));

    const failing = await call('POST', '/api/v1/backup/s3/test');
    assert.equal(failing.statusCode, 200);
    assert.equal(failing.json().ok, false);
    assert.equal(failing.json().write, false);
    assert.match(failing.json().message, /write failed: .*InvalidAccessKeyId|write failed: .*Access Key/);

    // A draft with the right secret tests without saving it.
    const draft = (await call('POST', '/api/v1/backup/s3/test', destination({ secret_access_key: SECRET }))).json() as Record<string, unknown>;
    assert.deepEqual([draft.ok, draft.write, draft.read, draft.delete], [true, true, true, true], String(draft.message));

    // secret_access_key absent keeps the stored secret; a new one replaces it.
    assert.equal((await call('PUT', '/api/v1/backup/s3/config', destination({ secret_access_key: SECRET }))).statusCode, 200);
    assert.equal((await call('PUT', '/api/v1/backup/s3/config', destination())).json().has_secret, true);
    assert.equal((await call('POST', '/api/v1/backup/s3/test')).json().ok, true);
    const audit = await r.core.audit.list({ action: 'edge.backup.s3.config' }, { limit: 10 });
    assert.ok(!JSON.stringify(audit.items).includes(SECRET + '"'), 'the secret is not in the audit trail');
  });

  test('every saved version is uploaded; backup, change, import from S3 and restore bring the configuration back', async () => {
    await s.write('rules', [{ id: 'r1', action: 'pass', dst_port_start: 443 }], { comment: 'POST /api/v1/rules', actor: 'alice' });
    const listed = await waitFor('the version uploaded to S3', async () => {
      const res = await call('GET', '/api/v1/backup/s3/list');
      const items = res.statusCode === 200 ? (res.json() as Array<{ key: string; size: number; last_modified: string | null }>) : [];
      // s3rver answers a PUT before its file is flushed, so a listing can briefly show a 0-byte object.
      return items.length > 0 && items.every((i) => i.size > 0) ? items : null;
    }, 30_000);
    assert.match(listed[0].key, /^edge\/prod\/[^/]+\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d[^/]*-v\d{6}\.json$/);
    assert.ok(listed[0].size > 0);
    assert.ok(listed[0].last_modified);

    const now = await call('POST', '/api/v1/backup/s3/upload', {});
    assert.equal(now.statusCode, 200, now.body);
    const backedUp = now.json().key as string;
    assert.match(now.json().message, /uploaded to s3:\/\/rampart-backups\//);
    await storedWhole(backedUp);

    await s.write('rules', [{ id: 'r2', action: 'block_drop' }], { comment: 'PUT /api/v1/rules' });
    await s.write('aliases', [{ id: 'a1', name: 'lab' }], { comment: 'POST /api/v1/aliases' });

    const imported = await call('POST', '/api/v1/backup/s3/import', { key: backedUp });
    assert.equal(imported.statusCode, 200, imported.body);
    const version = imported.json().version as number;
    assert.match(imported.json().message, new RegExp(`Imported as version ${version}`));
    const hist = (await call('GET', '/api/v1/config/history')).json().data as Array<Record<string, any>>;
    const row = hist.find((v) => v.version === version)!;
    assert.equal(row.created_by, 's3-import');
    assert.equal(row.applied, false, 'imported, not applied');
    assert.deepEqual((await s.read('rules')).map((x: any) => x.id), ['r2']);

    const restored = await call('POST', '/api/v1/config/restore', { version });
    assert.equal(restored.statusCode, 200, restored.body);
    assert.deepEqual((await s.read('rules')).map((x: any) => x.id), ['r1']);
    assert.deepEqual(await s.read('aliases'), []);
  });

  test('import of a missing key is 404, of an object that is not a configuration 400; S3 unreachable is 502', async () => {
    assert.equal((await call('POST', '/api/v1/backup/s3/import', { key: 'edge/prod/nope.json' })).statusCode, 404);
    const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: SECRET } });
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'edge/prod/junk.json', Body: 'not json {' }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'edge/prod/other.json', Body: JSON.stringify({ schema_version: 1, payroll: [] }) }));
    client.destroy();
    const before = (await call('GET', '/api/v1/config/history')).json().data.length;
    for (const key of ['edge/prod/junk.json', 'edge/prod/other.json']) {
      const res = await call('POST', '/api/v1/backup/s3/import', { key });
      assert.equal(res.statusCode, 400, key);
      assert.equal(typeof res.json().error, 'string');
    }
    assert.equal((await call('GET', '/api/v1/config/history')).json().data.length, before, 'nothing saved');
    for (const body of [{}, { key: '' }, { key: 5 }]) assert.equal((await call('POST', '/api/v1/backup/s3/import', body)).statusCode, 400);
    for (const q of ['max=0', 'max=5001', 'max=x']) assert.equal((await call('GET', `/api/v1/backup/s3/list?${q}`)).statusCode, 400, q);

    await call('PUT', '/api/v1/backup/s3/config', destination({ endpoint: `http://127.0.0.1:${await freePort()}` }));
    const down = await call('GET', '/api/v1/backup/s3/list');
    assert.equal(down.statusCode, 502);
    assert.match(down.json().error, /S3 list failed/);
    const test = await call('POST', '/api/v1/backup/s3/test');
    assert.equal(test.json().ok, false);
  });
});
