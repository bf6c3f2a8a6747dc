/**
 * Edge firewall compile-and-apply: 10,000 AiFw rules referencing 1,000 aliases of 100 entries each, compiled cold
 * into Rampart's tables and applied as one `nft -f` transaction in a network namespace this benchmark creates and
 * removes. Then a one-rule change (a port): compiled warm (the compile cache recompiles that rule only) and applied
 * in place: only the block holding it is rewritten (`flush chain` + `add rule`, no handles, so nft never reads the
 * ruleset back), in one transaction. Baselines, in the same run: `nft -c -f` (parse and kernel validation, no
 * commit) and `nft -f` of the same full script. Rounds alternate in ABBA order. Wall times beside CPU times (this
 * process and nft, from /proc): on a loaded machine the wall time is mostly the run queue. Targets: the full
 * compile + apply under 1 s; the one-rule change under 50 ms.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NftApplier } from '../src/modules/edge/firewall/apply.js';
import { compile, createCompileCache, fullScript, type CompileCache, type CompileInput } from '../src/modules/edge/firewall/compile.js';
import type { Alias, Rule } from '../src/modules/edge/firewall/firewall.model.js';
import { cpuSeconds, cpuSince } from './lib/cpu.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const RULES = 10_000;
const ALIASES = 1_000;
const ENTRIES = 100;
const FULL_TARGET_S = 1;
const CHANGE_TARGET_S = 0.05;
const at = '2026-01-01T00:00:00.000Z';

function aliases(): Alias[] {
  return Array.from({ length: ALIASES }, (_, a): Alias => ({
    id: `alias-${a}`, name: `hosts-${a}`, alias_type: a % 2 ? 'host' : 'network',
    // 100 distinct entries per alias: hosts in 10.x.y.z, networks as /28s of 172.16.0.0/12.
    entries: Array.from({ length: ENTRIES }, (_, e) => (a % 2 ? `10.${a >> 8}.${a & 255}.${e + 1}` : `172.${16 + (a >> 8)}.${a & 255}.${e * 2}/31`)),
    description: null, enabled: true, resolved: [], last_fetched_at: null, last_error: null, created_at: at, updated_at: at,
  }));
}

function rules(changedPort = 443): Rule[] {
  return Array.from({ length: RULES }, (_, i): Rule => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, priority: i % 100, action: i % 5 === 0 ? 'block_drop' : 'pass',
    direction: i % 3 === 0 ? 'out' : 'in', ip_version: 'inet', interface: i % 2 ? 'wan0' : 'lan0', protocol: 'tcp',
    rule_match: { src_addr: `<hosts-${i % ALIASES}>`, src_port: null, dst_addr: i % 7 ? 'any' : `198.18.${i & 255}.0/24`, dst_port: { start: i === 5000 ? changedPort : 1000 + (i % 5000), end: i === 5000 ? changedPort : 1000 + (i % 5000) } },
    src_invert: false, dst_invert: false, log: false, quick: true, label: `rule ${i}`, description: null, gateway: null,
    state_options: { tracking: 'keep_state', policy: null, adaptive_timeouts: null, timeout_tcp: null, timeout_udp: null, timeout_icmp: null },
    status: 'active', schedule_id: null, src_port_alias: null, dst_port_alias: null, created_at: at, updated_at: at,
  }));
}

const input = (rs: Rule[], as: Alias[], cache?: CompileCache): CompileInput => ({
  rules: rs, aliases: as, nat: [], geoip: [], activeSchedules: new Set(), blockLogging: true, countryNetworks: () => [], managementPorts: [8443], cache,
});

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export const bench: Bench = async (ctx) => [await ctx.scoped(compileAndApply)];

async function compileAndApply(ctx: BenchContext): Promise<BenchmarkResult> {
  const ns = `rpb${process.pid}-edge`;
  const ip = (args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  ip(['netns', 'add', ns]);
  ctx.defer(() => void spawnSync('ip', ['netns', 'del', ns]));
  const nft = ['ip', 'netns', 'exec', ns, 'nft'];
  const dir = ctx.tmpDir('rampart-bench-edge-');
  const as = aliases();
  const full = { compile: [] as number[], apply: [] as number[] };
  const change = { compile: [] as number[], apply: [] as number[] };
  const check: number[] = [];
  const plain: number[] = [];
  const cpu = { full: [] as number[], change: [] as number[], check: [] as number[], plain: [] as number[] };
  let scriptBytes = 0;
  let modes = '';

  const rampartRound = async () => {
    // A fresh applier knows nothing running: it replaces both tables whole (as at start); a fresh cache compiles
    // every rule and alias (cold, as at start).
    const applier = new NftApplier(nft);
    const cache = createCompileCache();
    let cpuFrom = cpuSeconds();
    let started = process.hrtime.bigint();
    const compiled = compile(input(rules(), as, cache));
    full.compile.push(seconds(started));
    started = process.hrtime.bigint();
    const fullOutcome = await applier.apply(compiled);
    full.apply.push(seconds(started));
    cpu.full.push(cpuSince(cpuFrom));
    cpuFrom = cpuSeconds();
    started = process.hrtime.bigint();
    const changed = compile(input(rules(8443), as, cache));
    change.compile.push(seconds(started));
    started = process.hrtime.bigint();
    const changeOutcome = await applier.apply(changed);
    change.apply.push(seconds(started));
    cpu.change.push(cpuSince(cpuFrom));
    modes = `full: ${fullOutcome.mode}; change: ${changeOutcome.mode} (${changeOutcome.statements} statements, ${changeOutcome.chains} chain, ${changeOutcome.sets} sets)`;
    if (changeOutcome.mode !== 'incremental' || changeOutcome.chains !== 1 || changeOutcome.sets !== 0) throw new Error(`the one-rule change was not applied in place: ${modes}`);
  };
  const baselineRound = () => {
    const file = join(dir, 'ruleset.nft');
    const script = fullScript(compile(input(rules(), as)));
    scriptBytes = script.length;
    writeFileSync(file, script);
    for (const [args, into, cpuInto] of [[['-c', '-f', file], check, cpu.check], [['-f', file], plain, cpu.plain]] as const) {
      const cpuFrom = cpuSeconds();
      const started = process.hrtime.bigint();
      const r = spawnSync(nft[0], [...nft.slice(1), ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`nft ${args.join(' ')} failed: ${r.stderr}`);
      into.push(seconds(started));
      cpuInto.push(cpuSince(cpuFrom));
    }
  };

  await rampartRound(); // warm-up
  full.compile.length = full.apply.length = change.compile.length = change.apply.length = cpu.full.length = cpu.change.length = 0;
  for (let round = 0; round < ctx.settings.rounds; round++) {
    for (const side of round % 2 === 0 ? ['baseline', 'rampart'] : ['rampart', 'baseline']) {
      if (side === 'baseline') baselineRound();
      else await rampartRound();
    }
    const i = full.apply.length - 1;
    ctx.log(`  round ${round + 1}: compile ${round3(full.compile[i])} s + apply ${round3(full.apply[i])} s; one-rule change ${round3(change.compile[i] + change.apply[i])} s (${modes}); nft -c ${round3(check.at(-1)!)} s, nft -f ${round3(plain.at(-1)!)} s`);
  }
  const fullS = mean(full.compile) + mean(full.apply);
  const changeApplyS = mean(change.apply);
  const checkS = mean(check);
  ctx.log(`  => ${RULES} rules, ${ALIASES}x${ENTRIES} alias entries: compile+apply ${round3(fullS)} s (target < ${FULL_TARGET_S} s; nft -c ${round3(checkS)} s, nft -f ${round3(mean(plain))} s); one-rule change applied in ${round3(changeApplyS * 1000)} ms (target < ${CHANGE_TARGET_S * 1000} ms)`);
  ctx.log(`     CPU: compile+apply ${round3(mean(cpu.full))} s (nft -c ${round3(mean(cpu.check))} s, nft -f ${round3(mean(cpu.plain))} s); one-rule change compile+apply ${round3(mean(cpu.change) * 1000)} ms`);
  return {
    name: `Edge firewall compile + nft apply (${RULES} rules, ${ALIASES} aliases x ${ENTRIES})`,
    unit: 's',
    rampart: {
      what: 'cold compile (rules, alias sets merged, NAT) + one `nft -f` transaction replacing both tables; one-rule change: warm compile (cache: one rule recompiled) + an in-place transaction rewriting only the block holding the changed rule (`flush chain` + `add rule`)',
      operations: full.apply.length,
      measured_s: round3(full.apply.reduce((a, b) => a + b, 0) + full.compile.reduce((a, b) => a + b, 0)),
      per_s: round3(1 / fullS),
      seconds_each: round3(fullS),
      compile_s: round3(mean(full.compile)),
      apply_s: round3(mean(full.apply)),
      meets_full_target: fullS < FULL_TARGET_S,
      one_rule_change_apply_ms: round3(changeApplyS * 1000),
      one_rule_change_compile_ms: round3(mean(change.compile) * 1000),
      one_rule_change_total_ms: round3((mean(change.compile) + changeApplyS) * 1000),
      cpu_s: round3(mean(cpu.full)),
      one_rule_change_cpu_ms: round3(mean(cpu.change) * 1000),
      nft_f_cpu_s: round3(mean(cpu.plain)),
      one_rule_change_meets_target: changeApplyS < CHANGE_TARGET_S,
      nft_f_s: round3(mean(plain)),
      script_bytes: scriptBytes,
      apply_modes: modes,
    },
    baseline: { what: '`nft -c -f` of the same script (parse and kernel validation, no commit)', operations: check.length, measured_s: round3(check.reduce((a, b) => a + b, 0)), per_s: round3(1 / checkS), seconds_each: round3(checkS), cpu_s: round3(mean(cpu.check)) },
    ratio: round3(fullS / checkS),
    cpu_ratio: round3(mean(cpu.full) / mean(cpu.check)),
    target: FULL_TARGET_S,
    meets_target: fullS < FULL_TARGET_S,
  };
}
