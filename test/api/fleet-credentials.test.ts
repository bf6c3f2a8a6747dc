import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

interface KeyPair {
  privateKey: string;
  /** `ssh-keygen -l` of the public key: "<bits> SHA256:... <comment> (<TYPE>)". */
  listing: string;
}

/** A real key pair from ssh-keygen, and what ssh-keygen -l says of it. */
function keygen(dir: string, name: string, args: string[]): KeyPair {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-f', file]);
  return { privateKey: readFileSync(file, 'utf8'), listing: execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).trim() };
}

describe('fleet credentials API', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  let auditor: SignedIn;
  let secAdmin: SignedIn;
  let dir: string;
  let ed25519: KeyPair;
  let rsa: KeyPair;
  const PASSPHRASE = 'rsa-passphrase-7b1f';
  const PASSWORD = 'ssh-password-Zq93kd';
  /** Every response body seen, to prove no secret ever leaves. */
  const bodies: string[] = [];
  let hostId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-fleet-keys-'));
    ed25519 = keygen(dir, 'ed', ['-t', 'ed25519', '-C', 'ops@lab', '-N', '']);
    rsa = keygen(dir, 'rsa', ['-t', 'rsa', '-b', '2048', '-C', 'rsa@lab', '-N', PASSPHRASE]);
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
    auditor = await signIn(r, { roles: ['auditor'] });
    secAdmin = await signIn(r, { roles: ['security_admin'] });
    hostId = (await call(admin, 'POST', '/api/v1/hosts', { hostname: 'cred-host', ip_address: '10.0.2.1' })).json().id;
  });
  after(async () => {
    await r.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(who: SignedIn | null, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
    const res = await r.app.inject({ method, url, headers: who ? who.headers : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
    bodies.push(res.body);
    return res;
  }
  const create = (body: Record<string, unknown>, who: SignedIn = admin) => call(who, 'POST', '/api/v1/credentials', body);
  const credentialCount = async () => Number((await r.core.db.kysely.selectFrom('fleet_credentials').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  function assertFleetError(res: { statusCode: number; json(): any }, status: number, code?: string) {
    assert.equal(res.statusCode, status, JSON.stringify(res.json()));
    assert.equal(typeof res.json().error?.human_message, 'string', 'the fleet envelope');
    if (code) assert.equal(res.json().error.code, code);
  }

  test('an ed25519 key is parsed: fingerprint, type, bits and comment as ssh-keygen -l reports them', async () => {
    const res = await create({ scope: 'system', name: 'fleet-key', username: 'ops', auth_method: 'ssh_key', private_key: ed25519.privateKey, is_default: true });
    assert.equal(res.statusCode, 201, res.body);
    const c = res.json();
    const [bits, fingerprint, comment] = ed25519.listing.split(' ');
    assert.equal(c.ssh_key_fingerprint, fingerprint);
    assert.equal(c.ssh_key_bits, Number(bits));
    assert.equal(c.ssh_key_comment, comment);
    assert.equal(c.ssh_key_type, 'ed25519');
    assert.equal(c.is_default, true);
    assert.equal(c.scope_id, null);
    for (const secret of ['private_key', 'password', 'private_key_passphrase', 'private_key_sealed', 'password_sealed']) assert.ok(!(secret in c));
  });

  test('an encrypted RSA key needs its passphrase; a wrong one, none, or garbage is 400 and stores nothing', async () => {
    const before = await credentialCount();
    const base = { scope: 'host', scope_id: hostId, username: 'root', auth_method: 'ssh_key' };
    assertFleetError(await create({ ...base, name: 'rsa', private_key: rsa.privateKey }), 400, 'credentials.invalid_key');
    assertFleetError(await create({ ...base, name: 'rsa', private_key: rsa.privateKey, private_key_passphrase: 'wrong' }), 400, 'credentials.invalid_key');
    assertFleetError(await create({ ...base, name: 'rsa', private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n' }), 400, 'credentials.invalid_key');
    const publicKey = readFileSync(join(dir, 'ed.pub'), 'utf8');
    assertFleetError(await create({ ...base, name: 'rsa', private_key: publicKey }), 400, 'credentials.invalid_key');
    assert.equal(await credentialCount(), before);
    const res = await create({ ...base, name: 'rsa', private_key: rsa.privateKey, private_key_passphrase: PASSPHRASE });
    assert.equal(res.statusCode, 201, res.body);
    const [bits, fingerprint] = rsa.listing.split(' ');
    assert.equal(res.json().ssh_key_fingerprint, fingerprint);
    assert.equal(res.json().ssh_key_bits, Number(bits));
    assert.equal(res.json().ssh_key_type, 'rsa');
  });

  test('the secret the method needs is required; scope and scope_id must agree', async () => {
    const before = await credentialCount();
    const cases: [Record<string, unknown>, number, string?][] = [
      [{ scope: 'system', name: 'p1', username: 'u', auth_method: 'password' }, 400, 'credentials.missing_secret'],
      [{ scope: 'system', name: 'p1', username: 'u', auth_method: 'ssh_key', password: PASSWORD }, 400, 'credentials.missing_secret'],
      [{ scope: 'system', name: 'p1', username: 'u', auth_method: 'both', password: PASSWORD }, 400, 'credentials.missing_secret'],
      [{ scope: 'system', name: 'p1', username: 'u', auth_method: 'both', private_key: ed25519.privateKey }, 400, 'credentials.missing_secret'],
      [{ scope: 'host', name: 'p1', username: 'u', auth_method: 'password', password: PASSWORD }, 400, 'credentials.invalid_scope'],
      [{ scope: 'system', scope_id: hostId, name: 'p1', username: 'u', auth_method: 'password', password: PASSWORD }, 400, 'credentials.invalid_scope'],
      [{ scope: 'host', scope_id: '00000000-0000-4000-8000-00000000dead', name: 'p1', username: 'u', auth_method: 'password', password: PASSWORD }, 400, 'credentials.host_not_found'],
      [{ scope: 'cluster', name: 'p1', username: 'u', auth_method: 'password', password: PASSWORD }, 400],
      [{ scope: 'system', name: 'p1', username: 'u', auth_method: 'kerberos', password: PASSWORD }, 400],
      [{ scope: 'system', name: '', username: 'u', auth_method: 'password', password: PASSWORD }, 400],
      [{ scope: 'system', name: 'p1', auth_method: 'password', password: PASSWORD }, 400],
    ];
    for (const [body, status, code] of cases) assertFleetError(await create(body), status, code);
    assert.equal(await credentialCount(), before);
  });

  test('one active system default (409), names unique per scope (409)', async () => {
    assertFleetError(
      await create({ scope: 'system', name: 'second-default', username: 'u', auth_method: 'password', password: PASSWORD, is_default: true }),
      409,
      'credentials.multiple_system_defaults',
    );
    assertFleetError(await create({ scope: 'system', name: 'fleet-key', username: 'u', auth_method: 'password', password: PASSWORD }), 409, 'credentials.duplicate');
    const sameNameOtherScope = await create({ scope: 'host', scope_id: hostId, name: 'fleet-key', username: 'u', auth_method: 'password', password: PASSWORD });
    assert.equal(sameNameOtherScope.statusCode, 201);
  });

  test('patch: a system credential made default demotes the previous one; narrowing the method drops its secrets', async () => {
    const pw = (await create({ scope: 'system', name: 'pw-only', username: 'deploy', auth_method: 'password', password: PASSWORD })).json();
    const oldDefault = (await call(admin, 'GET', '/api/v1/credentials?scope=system')).json().credentials.find((c: any) => c.is_default);
    const promoted = await call(admin, 'PATCH', `/api/v1/credentials/${pw.id}`, { is_default: true, description: 'now default' });
    assert.equal(promoted.statusCode, 200, promoted.body);
    assert.equal(promoted.json().is_default, true);
    assert.equal((await call(admin, 'GET', `/api/v1/credentials/${oldDefault.id}`)).json().is_default, false);
    // both -> needs a key, which this one lacks
    assertFleetError(await call(admin, 'PATCH', `/api/v1/credentials/${pw.id}`, { auth_method: 'both' }), 400);
    const both = await call(admin, 'PATCH', `/api/v1/credentials/${pw.id}`, { auth_method: 'both', private_key: ed25519.privateKey });
    assert.equal(both.json().auth_method, 'both');
    assert.ok(both.json().ssh_key_fingerprint);
    const keyOnly = await call(admin, 'PATCH', `/api/v1/credentials/${pw.id}`, { auth_method: 'ssh_key' });
    assert.equal(keyOnly.statusCode, 200);
    const row = await r.core.db.kysely.selectFrom('fleet_credentials').selectAll().where('id', '=', pw.id).executeTakeFirstOrThrow();
    assert.equal(row.password_sealed, null, 'the password is dropped when the method stops using it');
    // put the original default back for the tests below
    await call(admin, 'PATCH', `/api/v1/credentials/${oldDefault.id}`, { is_default: true });
  });

  test('resolve: the host credential first, else the system default; 404 when nothing resolves', async () => {
    const bare = (await call(admin, 'POST', '/api/v1/hosts', { hostname: 'bare-host', ip_address: '10.0.2.2' })).json();
    const fallback = await call(admin, 'POST', `/api/v1/hosts/${bare.id}/credentials:resolve`);
    assert.equal(fallback.statusCode, 200, fallback.body);
    assert.equal(fallback.json().scope, 'system');
    assert.equal(fallback.json().name, 'fleet-key');
    const own = await create({ scope: 'host', scope_id: bare.id, name: 'own', username: 'admin', auth_method: 'password', password: PASSWORD });
    const resolved = (await call(admin, 'POST', `/api/v1/hosts/${bare.id}/credentials:resolve`)).json();
    assert.equal(resolved.scope, 'host');
    assert.equal(resolved.id, own.json().id);
    const secret = await fleetServices(r.core).credentials.resolveSecret(bare.id);
    assert.deepEqual({ username: secret!.username, password: secret!.password, authMethod: secret!.authMethod }, { username: 'admin', password: PASSWORD, authMethod: 'password' });

    const defaultId = fallback.json().id;
    assert.equal((await call(admin, 'DELETE', `/api/v1/credentials/${own.json().id}`)).statusCode, 204);
    assert.equal((await call(admin, 'DELETE', `/api/v1/credentials/${defaultId}`)).statusCode, 204);
    assertFleetError(await call(admin, 'POST', `/api/v1/hosts/${bare.id}/credentials:resolve`), 404, 'credentials.none_available');
    assertFleetError(await call(admin, 'POST', '/api/v1/hosts/00000000-0000-4000-8000-00000000dead/credentials:resolve'), 404, 'hosts.not_found');
    assertFleetError(await call(admin, 'GET', `/api/v1/credentials/${defaultId}`), 404, 'credentials.not_found');
    assert.equal(await fleetServices(r.core).credentials.resolveSecret(bare.id), null);
  });

  test('clone copies the sealed secrets into another scope without sending them', async () => {
    const source = (await create({ scope: 'system', name: 'to-clone', username: 'svc', auth_method: 'both', password: PASSWORD, private_key: rsa.privateKey, private_key_passphrase: PASSPHRASE })).json();
    const res = await call(admin, 'POST', `/api/v1/credentials/${source.id}:clone`, { scope: 'host', scope_id: hostId, name: 'cloned' });
    assert.equal(res.statusCode, 201, res.body);
    const clone = res.json();
    assert.notEqual(clone.id, source.id);
    assert.equal(clone.scope, 'host');
    assert.equal(clone.ssh_key_fingerprint, source.ssh_key_fingerprint);
    const secret = await fleetServices(r.core).credentials.resolveSecret(hostId);
    assert.equal(secret!.privateKey, rsa.privateKey);
    assert.equal(secret!.passphrase, PASSPHRASE);
    assert.equal(secret!.password, PASSWORD);
    const unnamed = await call(admin, 'POST', `/api/v1/credentials/${source.id}:clone`, { scope: 'system' });
    assert.equal(unnamed.json().name, 'to-clone (clone)');
    assertFleetError(await call(admin, 'POST', `/api/v1/credentials/${source.id}:clone`, { scope: 'host' }), 400, 'credentials.invalid_scope');
    assertFleetError(await call(admin, 'POST', '/api/v1/credentials/00000000-0000-4000-8000-00000000dead:clone', { scope: 'system' }), 404, 'credentials.not_found');
  });

  test('permissions: viewer and auditor cannot see credentials; security_admin manages them', async () => {
    for (const who of [viewer, auditor]) {
      assertFleetError(await call(who, 'GET', '/api/v1/credentials'), 403);
      assertFleetError(await create({ scope: 'system', name: 'x', username: 'u', auth_method: 'password', password: PASSWORD }, who), 403);
      assertFleetError(await call(who, 'POST', `/api/v1/hosts/${hostId}/credentials:resolve`), 403);
    }
    assertFleetError(await call(null, 'GET', '/api/v1/credentials'), 401);
    const made = await create({ scope: 'system', name: 'by-secadmin', username: 'u', auth_method: 'password', password: PASSWORD }, secAdmin);
    assert.equal(made.statusCode, 201);
    assert.equal((await call(secAdmin, 'GET', '/api/v1/credentials')).statusCode, 200);
    assert.equal((await call(secAdmin, 'DELETE', `/api/v1/credentials/${made.json().id}`)).statusCode, 204);
    const audit = await r.core.audit.list({ action: 'credential.deleted', resourceId: made.json().id }, { limit: 5 });
    assert.equal(audit.items.length, 1);
  });

  test('no response and no stored column carries a secret in clear', async () => {
    const listed = await call(admin, 'GET', '/api/v1/credentials');
    assert.ok(listed.json().credentials.length > 3);
    const needles = [PASSWORD, PASSPHRASE, 'PRIVATE KEY', ed25519.privateKey.split('\n')[1]!, rsa.privateKey.split('\n')[1]!];
    for (const body of bodies) for (const needle of needles) assert.ok(!body.includes(needle), `a response contained ${needle.slice(0, 12)}...`);
    const rows = await r.core.db.kysely.selectFrom('fleet_credentials').selectAll().execute();
    const stored = JSON.stringify(rows);
    for (const needle of needles) assert.ok(!stored.includes(needle), 'secrets are sealed at rest');
    const audit = JSON.stringify((await r.core.audit.list({}, { limit: 500 })).items);
    for (const needle of needles) assert.ok(!audit.includes(needle), 'audit rows carry no secret');
  });
});
