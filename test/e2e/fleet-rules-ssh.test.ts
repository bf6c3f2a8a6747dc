/**
 * The full built-in rule set over real SSH: namespace hosts running Debian's sshd (test/helpers/ssh-lab.ts), one
 * with key login and passwordless sudo, one with password login where sudo asks for the password. Every rule runs
 * over ONE connection per host; root-only checks read what only root can; a file changed on the host changes the
 * result; a remediation applied and rolled back over SSH leaves the file as it was. Host keys are trusted in the
 * real database (SQLite, or PostgreSQL under RAMPART_TEST_DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadBuiltinRules } from '../../src/modules/fleet/compliance/builtin-rules.js';
import { evaluateRules } from '../../src/modules/fleet/compliance/engine.js';
import { planRemediation } from '../../src/modules/fleet/compliance/remediation/plan.js';
import type { ComplianceRule } from '../../src/modules/fleet/compliance/rule.types.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createSshConnector } from '../../src/modules/fleet/ssh/ssh.connector.js';
import type { HostConnector, HostSession } from '../../src/modules/fleet/ssh/ssh.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { DEBIAN_12 } from '../helpers/fleet-rules.js';
import { skipUnlessSshLab, type SshLab, startSshLab } from '../helpers/ssh-lab.js';

describe('built-in rules over SSH on namespace hosts', { skip: skipUnlessSshLab() }, () => {
  let lab: SshLab;
  let app: TestRampart;
  let connector: HostConnector;
  const { rules } = loadBuiltinRules();
  const rule = (id: string) => rules.find((r) => r.id === id) as ComplianceRule;

  before(async () => {
    lab = await startSshLab({ hosts: [{ name: 'keyhost', login: 'key' }, { name: 'pwhost', login: 'password' }] });
    app = await createTestRampart();
    connector = createSshConnector({ hostKeys: fleetServices(app.core).hostKeys, audit: app.core.audit, dial: lab.dial });
  });

  after(async () => {
    await lab?.close();
    await app?.cleanup();
    assert.deepEqual(lab ? lab.remainingNamespaces() : [], []);
  });

  async function withSession<T>(name: string, hostId: string, work: (session: HostSession) => Promise<T>): Promise<T> {
    const session = await connector.open(lab.target(name, hostId), lab.secret(name), { timeoutMs: 30_000 });
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  for (const name of ['keyhost', 'pwhost']) {
    test(`${name}: every rule evaluated over one connection, root-only checks included`, async () => {
      const hostId = randomUUID();
      lab.must(name, "printf 'PASS_MAX_DAYS 90\\nPASS_MIN_DAYS 1\\nUMASK 027\\nENCRYPT_METHOD SHA512\\n' > /etc/login.defs");
      const results = await withSession(name, hostId, (session) => evaluateRules(session, rules, { facts: DEBIAN_12 }));
      assert.equal(connector.connectionsOpened(hostId), 1);
      assert.equal(results.length, rules.length);
      const byId = new Map(results.map((r) => [r.rule_id, r]));
      // Reading /etc/shadow and running sshd -T need root: through sudo they are judged, not errored.
      for (const id of ['accounts-no-empty-passwords', 'ssh-empty-passwords-refused', 'ssh-sshd-config-permissions', 'accounts-password-max-age']) {
        assert.ok(['pass', 'fail'].includes(byId.get(id)!.status), `${id}: ${byId.get(id)!.status} ${byId.get(id)!.error_reason ?? ''}`);
      }
      assert.equal(byId.get('accounts-password-max-age')!.status, 'pass');
      assert.equal(byId.get('accounts-root-only-uid-zero')!.status, 'pass');
      assert.match(byId.get('ssh-empty-passwords-refused')!.evidence!.stdout, /permitemptypasswords no/);
      assert.equal(byId.get('accounts-password-max-age')!.evidence!.command, "cat -- '/etc/login.defs'", 'evidence shows the command without sudo');
    });
  }

  test('a file changed on the host changes the result; remediation over sudo -S applies and rolls back', async () => {
    const hostId = randomUUID();
    const maxAge = rule('accounts-password-max-age');
    lab.must('pwhost', "printf '# site\\nPASS_MAX_DAYS 99999\\n' > /etc/login.defs");
    await withSession('pwhost', hostId, async (session) => {
      const [before] = await evaluateRules(session, [maxAge], { facts: DEBIAN_12 });
      assert.equal(before.status, 'fail');
      assert.equal(before.evidence!.actual, 'PASS_MAX_DAYS = 99999');

      const [step] = planRemediation(maxAge, DEBIAN_12).steps;
      const dry = await step.dryRun(session);
      assert.match(dry.diff ?? '', /-PASS_MAX_DAYS 99999\n\+PASS_MAX_DAYS 365/);
      assert.equal(lab.must('pwhost', 'cat /etc/login.defs'), '# site\nPASS_MAX_DAYS 99999\n');

      const prior = JSON.parse(JSON.stringify(await step.apply(session)));
      assert.equal(lab.must('pwhost', 'cat /etc/login.defs'), '# site\nPASS_MAX_DAYS 365\n');
      assert.equal((await evaluateRules(session, [maxAge], { facts: DEBIAN_12 }))[0].status, 'pass');

      await step.rollback(session, prior);
      assert.equal(lab.must('pwhost', 'cat /etc/login.defs'), '# site\nPASS_MAX_DAYS 99999\n');
      assert.equal((await evaluateRules(session, [maxAge], { facts: DEBIAN_12 }))[0].status, 'fail');
    });
    assert.equal(connector.connectionsOpened(hostId), 1);
  });
});
