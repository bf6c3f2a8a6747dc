/**
 * A scan's OSCAL exports: a lab host (a private mount namespace on this machine, test/helpers/local-host-session.ts)
 * reached through the fleet's SSH connector is discovered and scanned with the small rule set of
 * test/fixtures/fleet-scan-rules by the job worker; the exports must carry what the scan found (verdicts, evidence
 * from the host's own files, the NIST controls the rules map to) in OSCAL 1.1's assessment-results structure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { SshConnectError } from '../../src/modules/fleet/ssh/ssh.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { startLocalHost, type LocalHost } from '../helpers/local-host-session.js';
import { oscalProblems, type Json } from '../helpers/oscal.js';

const RULES_DIR = fileURLToPath(new URL('../fixtures/fleet-scan-rules', import.meta.url));
const ROOT_LOGIN = 'e2e-ssh-root-login-disabled';
const X11 = 'e2e-ssh-x11-forwarding-disabled';
describe('fleet scan OSCAL exports', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let lab: LocalHost;
  let hostId = '';
  let scanId = '';
  let detail: { scan: Json; results: { rule_id: string; status: string; has_evidence: boolean }[] };

  const get = (url: string, who: SignedIn = admin) => r.app.inject({ method: 'GET', url, headers: who.headers });
  const post = async (url: string, payload: object, headers: Record<string, string> = {}) => {
    const res = await r.app.inject({ method: 'POST', url, headers: { ...admin.headers, ...headers }, payload });
    assert.ok(res.statusCode < 300, `${url}: ${res.body}`);
    return res.json();
  };

  before(async () => {
    lab = await startLocalHost({ etc: { 'ssh/sshd_config': 'PermitRootLogin yes\nX11Forwarding no\n' } });
    r = await createTestRampart({ overrides: { 'fleet.rules_dir': RULES_DIR } });
    admin = await signIn(r, { roles: ['admin'] });
    // The lab answers for the host registered below; any other address does not.
    fleetServices(r.core).connector = {
      open: async (target) => {
        if (target.hostId !== hostId) throw new SshConnectError('unreachable', 'the host does not answer');
        return { ...lab.session, target };
      },
      connectionsOpened: () => 0,
    };
    hostId = (await post('/api/v1/hosts', { hostname: 'oscal-lab', ip_address: '127.0.0.1', port: 1 })).id;
    await post('/api/v1/credentials', { scope: 'system', name: 'default', username: 'ops', auth_method: 'password', password: 'pw-default', is_default: true });
    await post(`/api/v1/hosts/${hostId}/discovery:run`, {});
    scanId = (await post(`/api/v1/hosts/${hostId}/scans`, {}, { 'idempotency-key': 'oscal-scan' })).scan_id;
    while ((await r.worker.runOnce()) > 0);
    detail = (await get(`/api/v1/scans/${scanId}`)).json();
    assert.equal(detail.scan.status, 'completed', JSON.stringify(detail.scan));
  });
  after(async () => {
    await lab?.close();
    await r?.cleanup();
  });

  const resultOf = (doc: Json) => doc['assessment-results'].results[0];
  const findingOf = (doc: Json, ruleId: string) => resultOf(doc).findings.find((f: Json) => f.target['target-id'] === ruleId);
  const observationOf = (doc: Json, uuid: string) => resultOf(doc).observations.find((o: Json) => o.uuid === uuid);

  test('the whole scan: one observation per rule, one finding per judged rule, as the scan recorded them', async () => {
    const res = await get(`/api/v1/scans/${scanId}/oscal`);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['content-disposition'], `attachment; filename="oscal-${scanId}.json"`);
    const doc = res.json();
    assert.deepEqual(oscalProblems(doc), []);
    const ar = doc['assessment-results'];
    assert.equal(ar.metadata['oscal-version'], '1.1.2');
    assert.match(ar.metadata.title, /oscal-lab/);

    const result = resultOf(doc);
    assert.equal(result.start, detail.scan.started_at);
    assert.equal(result.end, detail.scan.finished_at);
    assert.equal(result.observations.length, detail.results.length);
    const judged = detail.results.filter((x) => x.status !== 'skipped');
    assert.equal(result.findings.length, judged.length);
    const expected: Record<string, string> = { pass: 'satisfied', fail: 'not-satisfied', error: 'not-satisfied' };
    for (const x of judged) assert.equal(findingOf(doc, x.rule_id)?.target.status.state, expected[x.status], x.rule_id);
    // The lab's sshd_config permits root logins and has X11 forwarding off.
    assert.equal(findingOf(doc, ROOT_LOGIN).target.status.state, 'not-satisfied');
    assert.equal(findingOf(doc, ROOT_LOGIN).target.status.reason, 'fail');
    assert.equal(findingOf(doc, X11).target.status.state, 'satisfied');

    // NIST SP 800-53 references are the reviewed controls, in the catalog's spelling; CIS stays on the finding.
    const controls = result['reviewed-controls']['control-selections'][0]['include-controls'].map((c: Json) => c['control-id']);
    assert.deepEqual(controls, ['ac-3', 'ac-6.2', 'cm-7', 'ia-5.1']);
    const cis = findingOf(doc, ROOT_LOGIN).props.filter((p: Json) => p.name === 'framework-reference' && p.class.startsWith('cis'));
    assert.deepEqual(cis.map((p: Json) => p.value), ['5.1.20']);
  });

  test("a finding's observation carries the check's evidence as the evidence route shows it; stdout is a base64 resource", async () => {
    const doc = (await get(`/api/v1/scans/${scanId}/oscal`)).json();
    const evidence = (await get(`/api/v1/scans/${scanId}/rules/${ROOT_LOGIN}/evidence`)).json();
    const check = evidence.checks[0];
    const finding = findingOf(doc, ROOT_LOGIN);
    const observation = observationOf(doc, finding['related-observations'][0]['observation-uuid']);
    const [relevant] = observation['relevant-evidence'];
    assert.ok(relevant.remarks.includes(check.command), 'the command the check ran');
    assert.equal(relevant.description, `${check.method} check: expected ${check.expected}; found ${check.actual}`);
    assert.match(relevant.description, /found PermitRootLogin = yes/);
    assert.equal(relevant.props.find((p: Json) => p.name === 'method').value, check.method);
    assert.ok(check.stdout.includes('PermitRootLogin yes'), 'the host file as read');
    const resource = doc['assessment-results']['back-matter'].resources.find((x: Json) => `#${x.uuid}` === relevant.href);
    assert.equal(Buffer.from(resource.base64.value, 'base64').toString('utf8'), check.stdout);
  });

  test('exports of one scan keep the uuids of its findings and observations; each download is its own document', async () => {
    const [a, b] = await Promise.all([get(`/api/v1/scans/${scanId}/oscal`), get(`/api/v1/scans/${scanId}/oscal`)]);
    const ids = (doc: Json) => [...resultOf(doc).findings, ...resultOf(doc).observations].map((x: Json) => x.uuid).sort();
    assert.deepEqual(ids(a.json()), ids(b.json()));
    assert.notEqual(a.json()['assessment-results'].uuid, b.json()['assessment-results'].uuid);
  });

  test('one rule: the scan narrowed to that rule, same finding as in the whole export', async () => {
    const res = await get(`/api/v1/scans/${scanId}/rules/${ROOT_LOGIN}/oscal`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-disposition'], `attachment; filename="oscal-${scanId}-${ROOT_LOGIN}.json"`);
    const doc = res.json();
    assert.deepEqual(oscalProblems(doc), []);
    assert.match(doc['assessment-results'].metadata.title, new RegExp(ROOT_LOGIN));
    const result = resultOf(doc);
    assert.deepEqual(result.findings.map((f: Json) => f.target['target-id']), [ROOT_LOGIN]);
    assert.equal(result.observations.length, 1);
    assert.deepEqual(result['reviewed-controls']['control-selections'][0]['include-controls'], [{ 'control-id': 'ac-6.2' }]);
    const whole = (await get(`/api/v1/scans/${scanId}/oscal`)).json();
    assert.equal(result.findings[0].uuid, findingOf(whole, ROOT_LOGIN).uuid);
  });

  test('unknown scans and rules are 404s, a caller without scan:read a 403, in the fleet envelope', async () => {
    const unknownScan = await get('/api/v1/scans/00000000-0000-4000-8000-000000000009/oscal');
    assert.equal(unknownScan.statusCode, 404);
    assert.equal(unknownScan.json().error.code, 'scans.not_found');
    assert.equal((await get('/api/v1/scans/not-a-uuid/oscal')).json().error.code, 'scans.not_found');
    const unknownRule = await get(`/api/v1/scans/${scanId}/rules/no-such-rule/oscal`);
    assert.equal(unknownRule.statusCode, 404);
    assert.equal(unknownRule.json().error.code, 'scans.rule_not_found');
    const outsider = await signIn(r, { roles: ['operator'] });
    const denied = await get(`/api/v1/scans/${scanId}/oscal`, outsider);
    assert.equal(denied.statusCode, 403);
    assert.equal(typeof denied.json().error.human_message, 'string');
  });
});
