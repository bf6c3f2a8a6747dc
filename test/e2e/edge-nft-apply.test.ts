/**
 * The edge firewall's applier against the kernel, in a namespace this test makes: a full apply replaces only
 * Rampart's tables (another table survives), a change of rules or alias entries is applied in place (only the
 * changed block, the set by the elements that changed), and a script nft refuses leaves the running ruleset exactly as it was.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { NftApplier } from '../../src/modules/edge/firewall/apply.js';
import { BLOCK, compile, type Compiled, type CompileInput } from '../../src/modules/edge/firewall/compile.js';
import type { Alias, Rule } from '../../src/modules/edge/firewall/firewall.model.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';

const ns = `rpf${process.pid}-apply`;
after(() => void spawnSync('ip', ['netns', 'del', ns]));
const nft = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8' });

const at = '2026-01-01T00:00:00.000Z';
const alias = (entries: string[]): Alias => ({ id: 'a', name: 'office', alias_type: 'network', entries, description: null, enabled: true, resolved: [], last_fetched_at: null, last_error: null, created_at: at, updated_at: at });
const rule = (i: number, port: number): Rule => ({
  id: `r${String(i).padStart(4, '0')}`, priority: i, action: 'pass', direction: 'in', ip_version: 'inet', interface: 'wan0', protocol: 'tcp',
  rule_match: { src_addr: '<office>', src_port: null, dst_addr: 'any', dst_port: { start: port, end: port } }, src_invert: false, dst_invert: false,
  log: false, quick: true, label: null, description: null, gateway: null,
  state_options: { tracking: 'keep_state', policy: null, adaptive_timeouts: null, timeout_tcp: null, timeout_udp: null, timeout_icmp: null },
  status: 'active', schedule_id: null, src_port_alias: null, dst_port_alias: null, created_at: at, updated_at: at,
});
/** The block chain holding a rule (blocks are named after their first rule's key). */
const blockOf = (c: Compiled, ruleId: string) => c.chains.find((ch) => ch.parent === 'in' && ch.rules.some((r) => r.key.startsWith(`${ruleId}.`)))!.name;
const input = (rules: Rule[], entries: string[]): CompileInput => ({
  rules, aliases: [alias(entries)], nat: [], geoip: [], activeSchedules: new Set(), blockLogging: true, countryNetworks: () => [], managementPorts: [],
});

test('apply: whole, in place, and a refused script changes nothing', { skip: skipUnlessPrograms('ip', 'nft'), timeout: 60_000 }, async () => {
  requirePrograms('ip', 'nft');
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  assert.equal(nft('add', 'table', 'inet', 'someone_else').status, 0);
  const applier = new NftApplier(['ip', 'netns', 'exec', ns, 'nft']);
  const rules = Array.from({ length: 3 * BLOCK }, (_, i) => rule(i, 1000 + i));

  const first = compile(input(rules, ['10.0.0.0/8']));
  assert.equal((await applier.apply(first)).mode, 'full');
  assert.match(nft('list', 'tables').stdout, /table inet someone_else/, 'another table survives');
  const block = blockOf(first, rules[BLOCK + 3].id);
  assert.match(nft('list', 'chain', 'inet', 'rampart_edge', block).stdout, /dport 1067 goto keep_state/);

  // One rule's port: only its block is rewritten.
  const changed = rules.map((r, i) => (i === BLOCK + 3 ? rule(i, 8443) : r));
  const compiledChange = compile(input(changed, ['10.0.0.0/8']));
  const outcome = await applier.apply(compiledChange);
  assert.equal(outcome.mode, 'incremental');
  assert.deepEqual([outcome.chains, outcome.sets], [1, 0], 'one block, no set');
  assert.equal(outcome.statements, 1 + compiledChange.chains.find((ch) => ch.name === block)!.rules.length, 'one flush and the block rules');
  assert.match(nft('list', 'chain', 'inet', 'rampart_edge', block).stdout, /dport 8443 goto keep_state/);
  assert.doesNotMatch(nft('list', 'chain', 'inet', 'rampart_edge', block).stdout, /dport 1067 goto keep_state/);

  // Alias entries: only the set changes, by the element added; prefixes kept.
  const setChange = await applier.apply(compile(input(changed, ['10.0.0.0/8', '192.168.0.0/16'])));
  assert.deepEqual([setChange.mode, setChange.statements, setChange.chains, setChange.sets], ['incremental', 1, 0, 1]);
  assert.match(nft('list', 'set', 'inet', 'rampart_edge', 'a_office_4').stdout, /10\.0\.0\.0\/8, 192\.168\.0\.0\/16/);

  // A script the kernel refuses (an interface name nft cannot take is stopped by the parser first; here a set
  // element of the wrong family slips past the compiler): nothing changes.
  const before = nft('list', 'ruleset').stdout;
  const broken = compile(input(changed, ['10.0.0.0/8']));
  broken.sets.find((s) => s.name === 'a_office_4')!.elements = ['2001:db8::/32'];
  await assert.rejects(applier.apply(broken), /nft/);
  assert.equal(nft('list', 'ruleset').stdout, before, 'the running ruleset is untouched');
  // And after a refusal the applier still applies the next good one.
  assert.equal((await applier.apply(compile(input(rules, ['10.0.0.0/8'])))).mode, 'incremental');
  assert.match(nft('list', 'chain', 'inet', 'rampart_edge', block).stdout, /dport 1067 goto keep_state/);
});
