/**
 * The edge's VLANs on a kernel that has 802.1Q: this machine's kernel has none (edge-network.test.ts checks the
 * 502 a reload answers there), so the success path runs in a VM (test/helpers/vm-lab.ts) booting Debian's kernel
 * over this machine's own root file system. Inside, test/vm/edge-vlan.vm.ts runs the edge lab with a real
 * `rampart serve`; this test boots the VM, streams its console to stderr, and asserts on the inner test's TAP lines.
 * The VM is killed when the test ends, passed or not.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { e2eRequired } from '../helpers/e2e.js';
import { repoRoot } from '../helpers/process.js';
import { runInVm, vmPrerequisites, type VmRun } from '../helpers/vm-lab.js';

const missing = vmPrerequisites();
const skip = missing.length && !e2eRequired ? `needs ${missing.join('; ')} (set RAMPART_E2E=required to fail instead)` : false;
/** What the inner test must report as passed, one TAP line each. */
const EXPECTED = [
  'a VLAN created through the API is an 802.1Q device on the LAN parent after reload',
  'the VLAN carries traffic tagged 42 to a client behind the switch, and the untagged side cannot reach it',
  'firewall rules on the VLAN interface pass and block its traffic, and only its traffic',
  'deleting the VLAN removes the device Rampart made on reload',
];
// A bound on a hung guest, not a wait: under emulation (TCG) on a loaded machine the run takes minutes.
const VM_TIMEOUT_MS = 25 * 60_000;

let vm: VmRun | undefined;
after(() => vm?.kill());

test('a VLAN made through the API carries traffic and takes firewall rules, in a VM whose kernel has 802.1Q', { skip, timeout: VM_TIMEOUT_MS + 60_000 }, async () => {
  assert.deepEqual(missing, [], 'VM lab prerequisites (install the Debian packages .ci/run lists)');
  // The guest runs `rampart serve` from the compiled build, as the other edge e2e tests do.
  execFileSync(process.execPath, ['scripts/build-server.js', '--if-stale'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  vm = runInVm({
    cwd: repoRoot,
    command: [process.execPath, '--import', 'tsx', '--test', '--test-reporter=tap', 'test/vm/edge-vlan.vm.ts'],
    env: { RAMPART_E2E: 'required' },
    memoryMiB: 3072,
    cpus: 2,
    timeoutMs: VM_TIMEOUT_MS,
    onLine: (line) => process.stderr.write(`vm| ${line}\n`),
  });
  const { status, output } = await vm.done;
  const tail = output.split('\n').slice(-150).join('\n');
  assert.equal(status, 0, `the guest's test run failed or did not finish\n${tail}`);
  for (const name of EXPECTED) {
    assert.match(output, new RegExp(`^\\s*ok \\d+ - ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), `inner test passed: ${name}\n${tail}`);
  }
  assert.doesNotMatch(output, /^\s*not ok /m, tail);
  assert.match(output, new RegExp(`^# pass ${EXPECTED.length}$`, 'm'), tail);
  assert.match(output, /^# fail 0$/m, tail);
});
