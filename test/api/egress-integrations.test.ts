import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { tableExists } from '../../src/modules/egress/integrations/policy-references.js';
import { createKubernetesResolver } from '../../src/modules/egress/integrations/kubernetes.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { waitFor } from '../helpers/wait.js';
import { selfSigned, serverCertificate } from '../helpers/egress-pki.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/kubernetes/${name}`, import.meta.url), 'utf8');
const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InJhbXBhcnQtdGVzdCJ9.sa-token-for-tests.c2lnbmF0dXJl';

interface FakeApiServer {
  url: string;
  caPem: string;
  /** Every request the server saw: path with query, and the Authorization header. */
  requests: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A stand-in kube-apiserver over HTTPS with its own CA, answering recorded list responses for the selectors the
 * tests use, 401 to a wrong token, 403 in a forbidden namespace, and never in namespace "slow".
 */
async function fakeApiPki() {
  const ca = await selfSigned({ name: 'kubernetes' });
  return { ca, tls: await serverCertificate(ca) };
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function startFakeApiServer(opts: { port?: number; pki?: Awaited<ReturnType<typeof fakeApiPki>> } = {}): Promise<FakeApiServer> {
  const { ca, tls } = opts.pki ?? (await fakeApiPki());
  const requests: FakeApiServer['requests'] = [];
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const send = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, fixture('status-unauthorized.json'));
    const url = new URL(req.url ?? '/', 'https://x');
    const selector = url.searchParams.get('labelSelector');
    if (url.pathname === '/api/v1/namespaces/slow/pods') return; // never answers
    if (url.pathname === '/api/v1/namespaces/secret-ns/pods') return send(403, fixture('status-forbidden-pods.json'));
    if (url.pathname === '/api/v1/namespaces/prod/pods' && selector === 'app=web,tier=frontend') return send(200, fixture('pods-prod-app-web.json'));
    if (url.pathname === '/api/v1/nodes' && selector === 'role=egress') return send(200, fixture('nodes-role-egress.json'));
    if (url.pathname.endsWith('/pods')) return send(200, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] }));
    send(404, JSON.stringify({ kind: 'Status', status: 'Failure', message: 'the server could not find the requested resource', code: 404 }));
  });
  server.listen(opts.port ?? 0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: ca.certPem,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('egress integrations (/api/v1/integrations) and Kubernetes resolution', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;
  let api: FakeApiServer;
  const bodies: string[] = [];

  before(async () => {
    r = await createTestRampart({ overrides: { 'egress.kubernetes_resync_ms': 200 } });
    admin = await signIn(r, { roles: ['admin'] });
    reader = await signIn(r, { roles: ['readonly'] });
    api = await startFakeApiServer();
    // What the module's start hook does under `rampart serve`.
    egressServices(r.core).kubernetes.start();
  });
  after(async () => {
    await egressServices(r.core).kubernetes.stop();
    await api.close();
    await r.cleanup();
  });

  async function call(method: string, url: string, who: SignedIn, payload?: unknown) {
    const res = await r.app.inject({ method: method as 'GET', url, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    bodies.push(res.body);
    return res;
  }
  const body = (over: Record<string, unknown> = {}) => ({
    name: 'cluster-a',
    kind: 'kubernetes',
    api_server_url: api.url,
    ca_cert_pem: api.caPem,
    service_account_token: TOKEN,
    ...over,
  });

  test('create returns the sanitized view of the spec and seals the token at rest', async () => {
    const res = await call('POST', '/api/v1/integrations', admin, body());
    assert.equal(res.statusCode, 200, res.body);
    const view = res.json();
    assert.deepEqual(Object.keys(view).sort(), ['api_server_url', 'auth_type', 'ca_cert_pem', 'created_at', 'id', 'kind', 'name', 'token_configured']);
    assert.match(view.id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(view.created_at)));
    assert.deepEqual(
      { name: view.name, kind: view.kind, api_server_url: view.api_server_url, ca_cert_pem: view.ca_cert_pem, auth_type: view.auth_type, token_configured: view.token_configured },
      { name: 'cluster-a', kind: 'kubernetes', api_server_url: api.url, ca_cert_pem: api.caPem, auth_type: 'service_account_token', token_configured: true },
    );
    const row = await r.core.db.kysely.selectFrom('egress_integrations').selectAll().where('name', '=', 'cluster-a').executeTakeFirstOrThrow();
    assert.ok(!row.token_sealed.includes(TOKEN));
    assert.equal(r.core.secrets.openString(row.token_sealed, 'egress_integrations.token_sealed'), TOKEN);
    assert.equal((await r.core.audit.list({ action: 'egress.integration.create', result: 'success' }, { limit: 5 })).items.length, 1);

    const list = await call('GET', '/api/v1/integrations', reader);
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json(), [view]);
    assert.deepEqual((await call('GET', '/api/v1/integrations/cluster-a', reader)).json(), view);
    assert.equal(await egressServices(r.core).integrations.exists('cluster-a'), true);
    assert.equal(await egressServices(r.core).integrations.exists('cluster-b'), false);
  });

  test('bad input is a 400 naming the problem; duplicates 409; readonly may not write', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'x1', kind: 'aws' }, /only "kubernetes" is supported/],
      [{ name: 'x2', api_server_url: 'http://10.0.0.1:6443' }, /https/],
      [{ name: 'x3', api_server_url: 'not a url' }, /not a valid URL/],
      [{ name: 'x4', ca_cert_pem: 'hello' }, /ca_cert_pem/],
      [{ name: 'x5', ca_cert_pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, /not a valid X\.509/],
      [{ name: 'x6', service_account_token: '' }, /service_account_token/],
      [{ name: 'bad name!' }, /name/],
    ];
    for (const [over, message] of cases) {
      const res = await call('POST', '/api/v1/integrations', admin, body(over));
      assert.equal(res.statusCode, 400, `${JSON.stringify(over)}: ${res.body}`);
      assert.match(res.json().error, message);
    }
    const { name: _n, ...noName } = body();
    assert.equal((await call('POST', '/api/v1/integrations', admin, noName)).statusCode, 400);
    const dup = await call('POST', '/api/v1/integrations', admin, body());
    assert.equal(dup.statusCode, 409);
    assert.deepEqual(dup.json(), { error: 'integration "cluster-a" already exists' });
    assert.equal((await call('POST', '/api/v1/integrations', reader, body({ name: 'by-reader' }))).statusCode, 403);
    assert.deepEqual((await call('GET', '/api/v1/integrations', reader)).json().map((i: { name: string }) => i.name), ['cluster-a']);
  });

  test('missing integrations are 404 on GET, PUT and DELETE; PUT takes Neuwerk\'s update request (no name, no kind)', async () => {
    const { name: _name, kind: _kind, ...neuwerkUpdate } = body();
    for (const [method, payload] of [['GET'], ['PUT', body({ name: undefined })], ['PUT', neuwerkUpdate], ['DELETE']] as const) {
      const res = await call(method, '/api/v1/integrations/nope', admin, payload);
      assert.equal(res.statusCode, 404, `${method} ${JSON.stringify(payload ?? '')}`);
      assert.deepEqual(res.json(), { error: 'integration "nope" not found' });
    }
  });

  test('pod_selector resolves to the IPs of Running pods, with the bearer token and the integration CA', async () => {
    const ips = await egressServices(r.core).kubernetesApi.resolve({
      integration: 'cluster-a',
      pod_selector: { namespace: 'prod', match_labels: { tier: 'frontend', app: 'web' } },
    });
    assert.deepEqual(ips, ['10.244.1.17', '10.244.2.9', 'fd00:10:244:2::9'], 'Pending and Succeeded pods are left out');
    const last = api.requests.at(-1)!;
    assert.equal(last.path, '/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb%2Ctier%3Dfrontend');
    assert.equal(last.authorization, `Bearer ${TOKEN}`);
  });

  test('node_selector resolves to the InternalIP addresses of the nodes', async () => {
    const ips = await egressServices(r.core).kubernetesApi.resolve({ integration: 'cluster-a', node_selector: { match_labels: { role: 'egress' } } });
    assert.deepEqual(ips, ['10.0.0.11', '10.0.0.12', 'fd00::12']);
    assert.equal(api.requests.at(-1)!.path, '/api/v1/nodes?labelSelector=role%3Degress');
  });

  test('resolution errors are clear: unknown integration, API errors with the Status message, untrusted CA, timeout', async () => {
    const { kubernetesApi: kubernetes } = egressServices(r.core);
    await assert.rejects(kubernetes.resolve({ integration: 'ghost', node_selector: {} }), (err: any) => err.status === 400 && /"ghost" does not exist/.test(err.message));
    await assert.rejects(
      kubernetes.resolve({ integration: 'cluster-a', pod_selector: { namespace: 'secret-ns' } }),
      (err: any) => err.status === 502 && /answered 403: pods is forbidden/.test(err.message) && /cluster-a/.test(err.message),
    );

    const other = await selfSigned({ name: 'someone else' });
    const untrusted = createKubernetesResolver({ credentials: async () => ({ name: 'mitm', api_server_url: api.url, ca_cert_pem: other.certPem, token: TOKEN }) });
    await assert.rejects(untrusted.resolve({ integration: 'mitm', node_selector: {} }), (err: any) => err.status === 502 && /certificate/i.test(err.message));

    const wrongToken = createKubernetesResolver({ credentials: async () => ({ name: 'stale', api_server_url: api.url, ca_cert_pem: api.caPem, token: 'expired' }) });
    await assert.rejects(wrongToken.resolve({ integration: 'stale', node_selector: {} }), (err: any) => /answered 401: Unauthorized/.test(err.message));

    const slow = createKubernetesResolver({ timeoutMs: 300, credentials: async () => ({ name: 'slow', api_server_url: api.url, ca_cert_pem: api.caPem, token: TOKEN }) });
    // The message proves the resolver's own timeout ended the call (how fast is the bench's business, not a test's).
    await assert.rejects(slow.resolve({ integration: 'slow', pod_selector: { namespace: 'slow' } }), (err: any) => err.status === 502 && /no answer within 300 ms/.test(err.message));
  });

  test('PUT replaces fields and keeps the token when none is given; a new token replaces it', async () => {
    const res = await call('PUT', '/api/v1/integrations/cluster-a', admin, { api_server_url: `${api.url}/`, ca_cert_pem: api.caPem });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().api_server_url, `${api.url}/`);
    assert.equal(res.json().token_configured, true);
    assert.deepEqual(await egressServices(r.core).kubernetesApi.resolve({ integration: 'cluster-a', node_selector: { match_labels: { role: 'egress' } } }), ['10.0.0.11', '10.0.0.12', 'fd00::12']);

    const bad = await call('PUT', '/api/v1/integrations/cluster-a', admin, body({ api_server_url: 'ftp://x' }));
    assert.equal(bad.statusCode, 400);
    assert.equal((await call('PUT', '/api/v1/integrations/cluster-a', reader, body())).statusCode, 403);

    await call('PUT', '/api/v1/integrations/cluster-a', admin, body({ service_account_token: 'rotated' }));
    await assert.rejects(egressServices(r.core).kubernetesApi.resolve({ integration: 'cluster-a', node_selector: {} }), /401/);
    await call('PUT', '/api/v1/integrations/cluster-a', admin, body());
  });

  test('DELETE is refused (409) while a policy references the integration, and works once none does', async () => {
    await call('POST', '/api/v1/integrations', admin, body({ name: 'cluster-b' }));
    const policy = {
      default_policy: 'deny',
      source_groups: [{ id: 'web', sources: { kubernetes: [{ integration: 'cluster-b', pod_selector: { namespace: 'prod', match_labels: { app: 'web', tier: 'frontend' } } }] }, rules: [], default_action: 'deny' }],
    };
    const removePolicy = await referencePolicy('uses-b', policy);

    const refused = await call('DELETE', '/api/v1/integrations/cluster-b', admin);
    assert.equal(refused.statusCode, 409, refused.body);
    assert.match(refused.json().error, /referenced by policy uses-b/);
    assert.equal((await call('GET', '/api/v1/integrations/cluster-b', reader)).statusCode, 200);

    await removePolicy();
    assert.equal((await call('DELETE', '/api/v1/integrations/cluster-b', reader)).statusCode, 403);
    const deleted = await call('DELETE', '/api/v1/integrations/cluster-b', admin);
    assert.equal(deleted.statusCode, 204);
    assert.equal((await call('GET', '/api/v1/integrations/cluster-b', reader)).statusCode, 404);
    assert.equal(await egressServices(r.core).integrations.exists('cluster-b'), false);
  });

  test('selectors resolve in the background: a write succeeds while the API server is down, its status says so, and the pods appear once it is up', async () => {
    const services = egressServices(r.core);
    const pki = await fakeApiPki();
    const port = await freePort();
    const created = await call('POST', '/api/v1/integrations', admin, body({ name: 'cluster-late', api_server_url: `https://127.0.0.1:${port}`, ca_cert_pem: pki.ca.certPem }));
    assert.equal(created.statusCode, 200, created.body);
    const policy = {
      default_policy: 'deny',
      source_groups: [{
        id: 'late-web', default_action: 'deny', rules: [],
        sources: { cidrs: ['10.9.0.0/24'], kubernetes: [{ integration: 'cluster-late', pod_selector: { namespace: 'prod', match_labels: { app: 'web', tier: 'frontend' } } }] },
      }],
    };
    const write = await call('POST', '/api/v1/policies', admin, { name: 'late', mode: 'enforce', policy });
    assert.equal(write.statusCode, 200, `an unreachable API server must not fail the write: ${write.body}`);
    const id = write.json().id;
    const status = async () => (await call('GET', `/api/v1/policies/${id}/status`, reader)).json();
    const groupSources = async () => (await services.policies.effective()).groups.find((g) => g.id === 'late-web')?.sources ?? [];

    // Unresolved: the status names the failure; the group enforces what is known (its CIDR) meanwhile.
    const down = await waitFor('a failed resolution in the status', async () => {
      const s = await status();
      return s.kubernetes[0]?.error && s;
    });
    assert.equal(down.kubernetes_resolved, false);
    assert.deepEqual({ ...down.kubernetes[0], error: 'x' }, {
      source_group: 'late-web', integration: 'cluster-late', pod_selector: { namespace: 'prod', match_labels: { app: 'web', tier: 'frontend' } },
      node_selector: null, resolved: false, addresses: [], error: 'x', resolved_at: null,
    });
    assert.match(down.kubernetes[0].error, /cluster-late.*ECONNREFUSED/);
    assert.deepEqual(await groupSources(), ['10.9.0.0/24']);
    const generationBefore = (await services.policies.effective()).generation;

    // The API server comes up: the loop resolves the pods and recompiles, with no write.
    const late = await startFakeApiServer({ port, pki });
    try {
      await waitFor('the pod addresses in the compiled policy', async () => (await groupSources()).includes('10.244.1.17/32'));
      assert.deepEqual(await groupSources(), ['10.9.0.0/24', '10.244.1.17/32', '10.244.2.9/32', 'fd00:10:244:2::9/128']);
      assert.ok((await services.policies.effective()).generation > generationBefore, 'a new generation');
      assert.match((await services.policies.latestCompiled())!.nft, /10\.244\.1\.17/);
      const up = await status();
      assert.equal(up.kubernetes_resolved, true);
      assert.deepEqual([up.kubernetes[0].resolved, up.kubernetes[0].addresses, up.kubernetes[0].error], [true, ['10.244.1.17', '10.244.2.9', 'fd00:10:244:2::9'], null]);
      assert.ok(!Number.isNaN(Date.parse(up.kubernetes[0].resolved_at)));
    } finally {
      await late.close();
    }

    // Gone again: the last known addresses stay enforced, and the status says why they may be stale.
    const stale = await waitFor('the new failure in the status', async () => {
      const s = await status();
      return s.kubernetes[0].error && s;
    });
    assert.equal(stale.kubernetes_resolved, false);
    assert.equal(stale.kubernetes[0].resolved, true);
    assert.ok((await groupSources()).includes('10.244.1.17/32'));

    assert.equal((await call('DELETE', `/api/v1/policies/${id}`, admin)).statusCode, 204);
    assert.equal((await call('DELETE', '/api/v1/integrations/cluster-late', admin)).statusCode, 204);
    assert.equal((await call('GET', `/api/v1/policies/${id}/status`, reader)).statusCode, 404);
  });

  test('no response ever carried the token', () => {
    for (const b of bodies) assert.ok(!b.includes(TOKEN) && !b.includes('rotated'));
  });

  /**
   * Creates a policy naming the integration through the policies API when this build has it; otherwise (the
   * policy code not there yet) through a stand-in egress_policies table shaped like a record. Returns its undo.
   */
  async function referencePolicy(name: string, policy: unknown): Promise<() => Promise<void>> {
    const created = await call('POST', '/api/v1/policies', admin, { name, mode: 'enforce', policy });
    if (created.statusCode !== 404) {
      assert.equal(created.statusCode, 200, created.body);
      const id = created.json().id;
      return async () => assert.equal((await call('DELETE', `/api/v1/policies/${id}`, admin)).statusCode, 204);
    }
    assert.equal(await tableExists(r.core.db, 'egress_policies'), false, 'the stand-in is only for builds without the policies API');
    await sql`create table egress_policies (id text primary key, name text not null, policy text not null)`.execute(r.core.db.kysely);
    await sql`insert into egress_policies (id, name, policy) values ('p1', ${name}, ${JSON.stringify(policy)})`.execute(r.core.db.kysely);
    return async () => void (await sql`drop table egress_policies`.execute(r.core.db.kysely));
  }
});
