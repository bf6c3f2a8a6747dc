import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bandInterval,
  enterMaintenance,
  initialLiveness,
  jittered,
  leaveMaintenance,
  nextLiveness,
  type LivenessSnapshot,
  type ProbeOutcome,
} from '../../src/modules/fleet/liveness/transition.js';

const OK: ProbeOutcome = { icmp: true, ssh: true, privilege: true };
const NO_PING: ProbeOutcome = { icmp: false, ssh: null, privilege: null };
const NO_SSH: ProbeOutcome = { icmp: true, ssh: false, privilege: null };
const NO_SUDO: ProbeOutcome = { icmp: true, ssh: true, privilege: false };
const opts = { unreachableThreshold: 2 };

/** Applies probes in order from a snapshot and returns the states passed through. */
function run(start: LivenessSnapshot, probes: ProbeOutcome[], o = opts): { states: string[]; last: LivenessSnapshot } {
  let s = start;
  const states: string[] = [];
  for (const p of probes) {
    s = nextLiveness(s, p, o);
    states.push(s.monitoring_state);
  }
  return { states, last: s };
}

const online = () => run(initialLiveness(), [OK]).last;

describe('liveness state machine', () => {
  test('a host first seen goes online on its first all-layer pass', () => {
    const { last } = run(initialLiveness(), [OK]);
    assert.equal(last.monitoring_state, 'online');
    assert.equal(last.reachability_status, 'reachable');
    assert.equal(last.pass_streak, 1);
  });

  test('ICMP failures: critical at once, down on the third in a row', () => {
    assert.deepEqual(run(online(), [NO_PING, NO_PING, NO_PING, NO_PING]).states, ['critical', 'critical', 'down', 'down']);
  });

  test('SSH failures with ICMP answering: degraded at once, critical on the second', () => {
    assert.deepEqual(run(online(), [NO_SSH, NO_SSH, NO_SSH]).states, ['degraded', 'critical', 'critical']);
  });

  test('privilege failures: an online host stays online after one, degraded on the second', () => {
    assert.deepEqual(run(online(), [NO_SUDO, NO_SUDO, NO_SUDO]).states, ['online', 'degraded', 'degraded']);
  });

  test('a host never online that fails privilege is degraded at once', () => {
    assert.deepEqual(run(initialLiveness(), [NO_SUDO]).states, ['degraded']);
  });

  test('returning to online needs three all-layer passes in a row, degraded until then', () => {
    const down = run(online(), [NO_PING, NO_PING, NO_PING]).last;
    assert.equal(down.monitoring_state, 'down');
    assert.deepEqual(run(down, [OK, OK, OK, OK]).states, ['degraded', 'degraded', 'online', 'online']);
  });

  test('a failure during recovery restarts the streak', () => {
    const critical = run(online(), [NO_SSH, NO_SSH]).last;
    assert.deepEqual(run(critical, [OK, OK, NO_SUDO, OK, OK, OK]).states, ['degraded', 'degraded', 'degraded', 'degraded', 'degraded', 'online']);
  });

  test('the worst failing layer decides: a ping failure after SSH failures is critical, not degraded', () => {
    assert.deepEqual(run(online(), [NO_SSH, NO_PING]).states, ['degraded', 'critical']);
  });

  test('coming back from down with SSH still failing is critical (the SSH layer counted every missed probe)', () => {
    const down = run(online(), [NO_PING, NO_PING, NO_PING]).last;
    assert.deepEqual(run(down, [NO_SSH]).states, ['critical']);
  });

  test('counters: each layer counts its consecutive failures, a pass resets them', () => {
    const a = run(online(), [NO_PING, NO_PING]).last;
    assert.equal(a.icmp_failures, 2);
    assert.equal(a.ssh_failures, 2, 'an SSH layer not reached counts as failed');
    assert.equal(a.privilege_failures, 0, 'privilege is not judged when SSH was not reached');
    const b = run(a, [NO_SUDO]).last;
    assert.deepEqual([b.icmp_failures, b.ssh_failures, b.privilege_failures, b.pass_streak], [0, 0, 1, 0]);
    const c = run(b, [OK]).last;
    assert.deepEqual([c.icmp_failures, c.ssh_failures, c.privilege_failures, c.pass_streak], [0, 0, 0, 1]);
  });

  test('reachability: unreachable after the threshold of SSH failures, unchanged before it, reachable on success', () => {
    const start = online();
    assert.deepEqual(run(start, [NO_SSH, NO_SSH]).last.reachability_status, 'unreachable');
    assert.equal(run(start, [NO_SSH]).last.reachability_status, 'reachable', 'one failure keeps the last known status');
    assert.equal(run(initialLiveness(), [NO_PING]).last.reachability_status, 'unknown');
    assert.equal(run(start, [NO_SSH, NO_SSH], { unreachableThreshold: 3 }).last.reachability_status, 'reachable');
    assert.equal(run(start, [NO_SSH, NO_SSH, NO_SSH], { unreachableThreshold: 3 }).last.reachability_status, 'unreachable');
    assert.equal(run(start, [NO_PING, NO_PING, OK]).last.reachability_status, 'reachable');
  });

  test('every state, every probe outcome: the result is a known band and failures never improve a band', () => {
    const rank = { online: 0, degraded: 1, critical: 2, down: 3, unknown: -1, maintenance: -1 } as const;
    const outcomes = [OK, NO_PING, NO_SSH, NO_SUDO];
    const starts: LivenessSnapshot[] = [initialLiveness()];
    // Every state reachable in up to four probes from a new host.
    let frontier = [initialLiveness()];
    for (let depth = 0; depth < 4; depth++) {
      frontier = frontier.flatMap((s) => outcomes.map((p) => nextLiveness(s, p, opts)));
      starts.push(...frontier);
    }
    for (const s of starts) {
      for (const p of outcomes) {
        const n = nextLiveness(s, p, opts);
        assert.ok(['online', 'degraded', 'critical', 'down'].includes(n.monitoring_state));
        if (p === NO_PING) assert.ok(rank[n.monitoring_state] >= rank.critical, 'no ping is critical or down');
        if (p === NO_SSH) assert.ok(rank[n.monitoring_state] >= rank.degraded && n.monitoring_state !== 'down', 'no SSH is degraded or critical');
        if (p === NO_SUDO) assert.ok(n.monitoring_state === 'online' || n.monitoring_state === 'degraded');
        if (p === OK) assert.ok(n.monitoring_state === 'online' || n.monitoring_state === 'degraded');
        if (p === OK && (s.monitoring_state === 'online' || s.monitoring_state === 'unknown')) assert.equal(n.monitoring_state, 'online');
      }
    }
  });

  test('maintenance keeps the counters and shows maintenance; leaving it starts over as unknown', () => {
    const before = run(online(), [NO_SSH]).last;
    const m = enterMaintenance(before);
    assert.equal(m.monitoring_state, 'maintenance');
    assert.equal(m.ssh_failures, before.ssh_failures);
    assert.deepEqual(leaveMaintenance(), initialLiveness());
    assert.equal(nextLiveness(leaveMaintenance(), OK, opts).monitoring_state, 'online');
  });

  test('band intervals come from the connectivity config, with ±20 % jitter', () => {
    const c = { online_sec: 900, degraded_sec: 300, critical_sec: 120, down_sec: 1800, maintenance_sec: 3600 };
    assert.equal(bandInterval('online', c), 900);
    assert.equal(bandInterval('degraded', c), 300);
    assert.equal(bandInterval('critical', c), 120);
    assert.equal(bandInterval('down', c), 1800);
    assert.equal(bandInterval('maintenance', c), 3600);
    assert.equal(bandInterval('unknown', c), 120, 'a host not yet judged is probed as often as a critical one');
    assert.equal(jittered(100, 0), 80);
    assert.equal(jittered(100, 0.5), 100);
    assert.ok(jittered(100, 0.999999) < 120 && jittered(100, 0.999999) > 119.9);
  });
});
