/**
 * Remediation end to end against a real host of the SSH lab (Debian's sshd in its own network and mount namespaces,
 * /etc an overlay of its own; login with a key and sudo). Through the API: request, approve, dry-run (diff shown,
 * file untouched), execute (file fixed, journal), rollback (file put back), and a request whose step fails (failed,
 * nothing changed). The file is checked on the host each time, and the machine's own /etc never changes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createSshConnector } from '../../src/modules/fleet/ssh/ssh.connector.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { insertHost } from '../helpers/fleet-rows.js';
import { remediationHostsFor, rootLoginRule } from '../helpers/fleet-remediation-rule.js';
import { skipUnlessSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const skip = skipUnlessSshLab();
const FILE = '/etc/ssh/sshd_config.d/50-rampart-lab.conf';
const ORIGINAL = 'PermitRootLogin yes\nX11Forwarding no\n';

describe('fleet remediation over SSH: dry-run, execute, rollback with a step journal', { skip }, () => {
  let r: TestRampart;
  let lab: SshLab;
  let hostId: string;
  let requester: SignedIn;
  let approver: SignedIn;
  const fixable = rootLoginRule(FILE);
  // A "file" that is a directory on the host: the step cannot read it, so it fails before changing anything.
  const broken = { ...rootLoginRule('/etc/ssh/sshd_config.d'), id: 'lab-broken-path' };
  const onHost = () => lab.must('alpha', `cat ${FILE}`);

  before(async () => {
    lab = await startSshLab({ hosts: [{ name: 'alpha', login: 'key' }] });
    lab.must('alpha', `cat > ${FILE}`, ORIGINAL);
    r = await createTestRampart();
    hostId = await insertHost(r, 'lab-target');
    [requester, approver] = await Promise.all([signIn(r, { roles: ['ops_lead'] }), signIn(r, { roles: ['security_admin'] })]);
    const services = fleetServices(r.core);
    const connector = createSshConnector({ hostKeys: services.hostKeys, audit: r.core.audit, dial: lab.dial });
    services.remediationHosts = remediationHostsFor([fixable, broken], (id) =>
      connector.open(lab.target('alpha', id), lab.secret('alpha'), { timeoutMs: 30_000 }),
    );
  });
  after(async () => {
    await r?.cleanup();
    await lab?.close();
  });

  const post = (url: string, who: SignedIn, payload?: object) => r.app.inject({ method: 'POST', url, headers: who.headers, ...(payload ? { payload } : {}) });
  const get = (url: string) => r.app.inject({ method: 'GET', url, headers: approver.headers });
  const approved = async (ruleId: string) => {
    const created = await post('/api/v1/remediation/requests', requester, { host_id: hostId, rule_id: ruleId });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id;
    assert.equal((await post(`/api/v1/remediation/requests/${id}:approve`, approver)).statusCode, 200);
    return id as string;
  };

  test('dry-run shows the diff and changes nothing; execute fixes the file; rollback puts it back', async () => {
    const id = await approved(fixable.id);

    const dry = await post(`/api/v1/remediation/requests/${id}:dry-run`, requester);
    assert.equal(dry.statusCode, 200, dry.body);
    const step = dry.json().steps[0];
    assert.match(step.diff, /^-PermitRootLogin yes$/m);
    assert.match(step.diff, /^\+PermitRootLogin no$/m);
    assert.equal(dry.json().status, 'approved');
    assert.equal(onHost(), ORIGINAL, 'a dry run leaves the host alone');
    assert.equal((await get(`/api/v1/remediation/requests/${id}`)).json().status, 'approved');

    const executed = await post(`/api/v1/remediation/requests/${id}:execute`, requester);
    assert.equal(executed.statusCode, 200, executed.body);
    assert.equal(executed.json().status, 'executed');
    assert.equal(onHost(), 'PermitRootLogin no\nX11Forwarding no\n');
    assert.ok(!existsSync(FILE), "the machine's own /etc is untouched");
    const journal = (await get(`/api/v1/remediation/requests/${id}/steps`)).json().items;
    assert.deepEqual(journal.map((e: any) => [e.index, e.status]), [[0, 'applied']]);
    assert.ok(!JSON.stringify(journal).includes('PermitRootLogin yes'), 'the prior state stays server-side');
    assert.equal((await post(`/api/v1/remediation/requests/${id}:execute`, requester)).statusCode, 409, 'executed once');

    const rolledBack = await post(`/api/v1/remediation/requests/${id}:rollback`, requester);
    assert.equal(rolledBack.statusCode, 200, rolledBack.body);
    assert.equal(rolledBack.json().status, 'rolled_back');
    assert.equal(onHost(), ORIGINAL);
    const after = (await get(`/api/v1/remediation/requests/${id}/steps`)).json().items;
    assert.deepEqual(after.map((e: any) => e.status), ['applied', 'rolled_back']);
    assert.equal((await post(`/api/v1/remediation/requests/${id}:rollback`, requester)).statusCode, 409);
  });

  test('a step that fails on the host leaves the request failed, the journal saying why, and nothing to roll back', async () => {
    const id = await approved(broken.id);
    const executed = await post(`/api/v1/remediation/requests/${id}:execute`, requester);
    assert.equal(executed.statusCode, 200, executed.body);
    assert.equal(executed.json().status, 'failed');
    assert.match(executed.json().failure_reason, /sshd_config\.d/);
    const journal = (await get(`/api/v1/remediation/requests/${id}/steps`)).json().items;
    assert.equal(journal[0].status, 'failed');
    assert.match(journal[0].error, /Is a directory/);
    assert.equal((await post(`/api/v1/remediation/requests/${id}:rollback`, requester)).statusCode, 409);
    assert.equal(onHost(), ORIGINAL);
  });
});
