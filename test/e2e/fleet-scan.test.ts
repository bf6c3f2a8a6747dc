/**
 * Compliance scans of a real host: Debian's sshd in network and mount namespaces (test/helpers/ssh-lab.ts), the
 * real SSH transport and compliance engine, a small rule directory (test/fixtures/fleet-scan-rules), and the real
 * database (SQLite, or PostgreSQL under RAMPART_TEST_DATABASE_URL). The host is registered and scanned through the
 * API; a file changed on the host shows in the rule state, the change log, the score and the drift hook.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { skipUnlessSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';
import { waitFor } from '../helpers/wait.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import type { DriftEvent } from '../../src/modules/fleet/scans/drift.js';
import { createSshConnector } from '../../src/modules/fleet/ssh/ssh.connector.js';

const RULES_DIR = fileURLToPath(new URL('../fixtures/fleet-scan-rules', import.meta.url));
const ROOT_LOGIN = 'e2e-ssh-root-login-disabled';

describe('fleet compliance scans of a namespace host', { skip: skipUnlessSshLab() }, () => {
  let lab: SshLab;
  let r: TestRampart;
  let admin: SignedIn;
  let hostId: string;
  const drifts: DriftEvent[] = [];
  let keyCounter = 0;

  const api = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, headers: Record<string, string> = {}) => {
    const res = await r.app.inject({ method, url, headers: { ...admin.headers, ...headers }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  };

  /** Queues a scan through the API and runs the worker until it has finished; returns the scan detail. */
  async function scan() {
    const queued = await api('POST', `/api/v1/hosts/${hostId}/scans`, undefined, { 'idempotency-key': `e2e-scan-${++keyCounter}` });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    const scanId = queued.body.scan_id as string;
    const detail = await waitFor(`scan ${scanId} to finish`, async () => {
      await r.worker.runOnce();
      const d = await api('GET', `/api/v1/scans/${scanId}`);
      return ['completed', 'failed'].includes(d.body.scan.status) && d.body;
    }, 120_000, 200);
    assert.equal(detail.scan.status, 'completed', detail.scan.failure_reason);
    return detail;
  }
  const statusOf = (detail: { results: { rule_id: string; status: string }[] }) =>
    Object.fromEntries(detail.results.map((x) => [x.rule_id, x.status]));

  before(async () => {
    lab = await startSshLab({ hosts: [{ name: 'web', login: 'key' }], subnet: '10.213.2' });
    r = await createTestRampart({ overrides: { 'fleet.rules_dir': RULES_DIR } });
    admin = await signIn(r, { roles: ['admin'] });
    const fleet = fleetServices(r.core);
    fleet.hooks.connector = createSshConnector({ hostKeys: fleet.hostKeys, audit: r.core.audit, dial: lab.dial });
    fleet.hooks.onDrift = (event) => void drifts.push(event);

    // A new host queues discovery on first contact; this test runs it itself, so every connection it counts is its own.
    const discovery = await api('GET', '/api/v1/system/discovery/config');
    const noFirstContact = await api('PUT', '/api/v1/system/discovery/config', { ...discovery.body.config, detect_on_first_contact: false });
    assert.equal(noFirstContact.status, 200, JSON.stringify(noFirstContact.body));

    const web = lab.host('web');
    const host = await api('POST', '/api/v1/hosts', { hostname: 'web.e2e.test', ip_address: web.address, port: web.port });
    assert.equal(host.status, 201, JSON.stringify(host.body));
    hostId = host.body.id;
    const credential = await api('POST', '/api/v1/credentials', {
      scope: 'host', scope_id: hostId, name: 'web key', username: web.username, auth_method: 'ssh_key', private_key: web.privateKey,
    });
    assert.equal(credential.status, 201, JSON.stringify(credential.body));
    // Discovery reads the host's OS, which picks the rules that apply.
    const discovered = await api('POST', `/api/v1/hosts/${hostId}/discovery:run`);
    assert.equal(discovered.status, 200, JSON.stringify(discovered.body));
  });

  after(async () => {
    await lab?.close();
    await r?.cleanup();
    assert.deepEqual(lab ? lab.remainingNamespaces() : [], []);
  });

  test('a scan grades the host by its real files, with the command and output as evidence, over one SSH connection', async () => {
    const before = fleetServices(r.core).hooks.connector!.connectionsOpened(hostId);
    const detail = await scan();
    assert.equal(detail.scan.attempts, 1, JSON.stringify(detail.scan));
    assert.equal(fleetServices(r.core).hooks.connector!.connectionsOpened(hostId) - before, 1, 'one SSH connection for the whole scan');
    // The lab's sshd_config says PermitRootLogin no and X11Forwarding no; Debian's login.defs keeps PASS_MAX_DAYS 99999.
    assert.deepEqual(statusOf(detail), {
      'e2e-password-max-days': 'fail',
      'e2e-passwd-permissions': 'pass',
      [ROOT_LOGIN]: 'pass',
      'e2e-ssh-x11-forwarding-disabled': 'pass',
    });
    assert.equal(detail.scan.score, 75);
    assert.equal(detail.scan.rules_pass, 3);
    assert.equal(detail.scan.rules_fail, 1);
    assert.match(detail.scan.policy_version, /^sha256:[0-9a-f]{16}$/);

    const evidence = await api('GET', `/api/v1/scans/${detail.scan.scan_id}/rules/${ROOT_LOGIN}/evidence`);
    assert.equal(evidence.status, 200);
    const [check] = evidence.body.checks;
    assert.match(check.command, /\/etc\/ssh\/sshd_config/);
    assert.equal(check.stdout, lab.must('web', 'cat /etc/ssh/sshd_config'), 'the evidence is the host file as read');
    assert.equal(check.exit_code, 0);
    const maxDays = (await api('GET', `/api/v1/scans/${detail.scan.scan_id}/rules/e2e-password-max-days/evidence`)).body;
    const onHost = lab.must('web', "awk '$1 == \"PASS_MAX_DAYS\" {print $2}' /etc/login.defs").trim();
    assert.match(maxDays.checks[0].actual, new RegExp(`PASS_MAX_DAYS = ${onHost}`));

    const lens = (await api('GET', `/api/v1/hosts/${hostId}/compliance`)).body;
    assert.equal(lens.scan_context.scan_id, detail.scan.scan_id);
    assert.deepEqual([lens.summary.passing, lens.summary.failing, lens.summary.total], [3, 1, 4]);
    assert.deepEqual((await api('GET', '/api/v1/fleet/score')).body, { passing_fraction: 0.75, total_evaluations: 4 });
    const schedule = (await api('GET', `/api/v1/hosts/${hostId}/compliance/schedule`)).body;
    assert.equal(schedule.compliance_state, 'mostly_compliant');
    assert.equal(schedule.interval_minutes, 1440);
    const listed = (await api('GET', '/api/v1/hosts')).body.hosts.find((h: { id: string }) => h.id === hostId);
    assert.equal(listed.compliance_summary.failing, 1);
    assert.equal(listed.latest_scan_id, detail.scan.scan_id);
    // Under a framework lens only the rules mapped to it count: three of the four rules carry CIS references.
    const underCis = (await api('GET', '/api/v1/hosts?framework=cis')).body.hosts.find((h: { id: string }) => h.id === hostId);
    assert.deepEqual([underCis.compliance_summary.passing, underCis.compliance_summary.failing, underCis.compliance_summary.total], [2, 1, 3]);
    assert.deepEqual((await api('GET', '/api/v1/fleet/score?framework=cis')).body, { passing_fraction: 2 / 3, total_evaluations: 3 });
    const refs = detail.results.find((x: { rule_id: string }) => x.rule_id === ROOT_LOGIN).framework_refs;
    assert.deepEqual(Object.keys(refs).sort(), ['cis', 'nist_800_53']);
  });

  test('breaking a rule on the host: its state changes, a state_changed row appears, the score drops, major drift is reported', async () => {
    lab.must('web', "sed -i 's/^PermitRootLogin no$/PermitRootLogin yes/' /etc/ssh/sshd_config");
    const detail = await scan();
    assert.equal(statusOf(detail)[ROOT_LOGIN], 'fail');
    assert.equal(detail.scan.score, 50);

    const failed = (await api('GET', `/api/v1/hosts/${hostId}/compliance/failed-rules`)).body;
    assert.deepEqual(failed.rules.map((x: { rule_id: string }) => x.rule_id), [ROOT_LOGIN, 'e2e-password-max-days'], 'most severe first');
    const changes = (await api('GET', '/api/v1/fleet/recent-changes?limit=10')).body.items;
    const change = changes.find((c: { rule_id: string; change_kind: string }) => c.rule_id === ROOT_LOGIN && c.change_kind === 'state_changed');
    assert.ok(change, JSON.stringify(changes));
    assert.equal(change.status, 'fail');
    assert.equal(change.previous_status, 'pass');
    assert.equal(change.scan_id, detail.scan.scan_id);
    assert.deepEqual((await api('GET', '/api/v1/fleet/score')).body, { passing_fraction: 0.5, total_evaluations: 4 });
    assert.deepEqual((await api('GET', '/api/v1/fleet/top-failing-rules')).body.items.map((x: { rule_id: string }) => x.rule_id).sort(), [
      'e2e-password-max-days',
      ROOT_LOGIN,
    ]);
    assert.deepEqual(drifts.at(-1), { host_id: hostId, kind: 'major', previous: 75, current: 50, scan_id: detail.scan.scan_id });
  });

  test('fixing it: the rule passes again, the score rises and an improvement is reported', async () => {
    lab.must('web', "sed -i 's/^PermitRootLogin yes$/PermitRootLogin no/' /etc/ssh/sshd_config");
    const detail = await scan();
    assert.equal(statusOf(detail)[ROOT_LOGIN], 'pass');
    assert.equal(detail.scan.score, 75);
    assert.deepEqual(drifts.at(-1), { host_id: hostId, kind: 'improvement', previous: 50, current: 75, scan_id: detail.scan.scan_id });
    const trend = (await api('GET', `/api/v1/hosts/${hostId}/compliance/trend`)).body.days;
    assert.equal(trend.length, 1);
    assert.equal(trend[0].score_pct, 75);
    // Unchanged output is stored once: three scans of four rules, fewer evidence bodies than results.
    const evidenceRows = await r.core.db.kysely.selectFrom('fleet_scan_evidence').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const resultRows = await r.core.db.kysely.selectFrom('fleet_scan_results').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(resultRows.n), 12);
    assert.ok(Number(evidenceRows.n) < 12, `evidence rows ${evidenceRows.n}`);
  });
});
