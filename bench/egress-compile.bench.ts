/**
 * Egress policy compile-and-apply: 1,024 source groups of 64 rules each compiled to one nft script and applied as
 * one `nft -f` transaction (replacing the whole table: a data plane with no running generation) in a network
 * namespace this benchmark creates and removes. The full compile starts from an empty compile cache (every group
 * compiled). Then a one-rule change, compiled incrementally (only the changed group; the rest from the cache the
 * full compile filled) and applied in place by that same data plane. Baseline, in the same run: `nft -c -f` of the
 * full script (nft parsing and the kernel validating it without committing), the floor any whole-table apply pays.
 * Rounds alternate in ABBA order. Targets: full compile + apply within 1.0x of the baseline; the one-rule change
 * within 0.1x of the full compile + apply. `cpu_ratio` compares the CPU both sides spend (this process and nft),
 * which a loaded machine moves far less than wall time.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleCompiled, compilePartsStreamed, compilePolicy, STREAM_AFTER_GROUPS } from '../src/modules/egress/compiler/compile.js';
import { CompileCache } from '../src/modules/egress/compiler/compile-cache.js';
import { createNftDataplane } from '../src/modules/egress/dataplane/nft.js';
import type { StreamedScript } from '../src/modules/egress/dataplane/dataplane.types.js';
import type { EffectiveGroup, EffectivePolicy, EffectiveRule } from '../src/modules/egress/policy/policy.types.js';
import { cpuSeconds, cpuSince } from './lib/cpu.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const GROUPS = 1024;
const RULES = 64;
/** Full compile + apply over `nft -c -f` of the same script. */
const TARGET_RATIO = 1.0;
/** One-rule change over the full compile + apply. */
const CHANGE_TARGET_RATIO = 0.1;

function rulesOf(g: number): EffectiveRule[] {
  return Array.from({ length: RULES }, (_, r): EffectiveRule => {
    const id = `r${r}`;
    // A mix: port/CIDR allows (some with two ports), one DNS-name rule in 16, denies, ICMP.
    if (r % 16 === 1) return { id, action: 'allow', match: { dns_hostname: `^svc${r}\\.g${g}\\.example\\.com$`, proto: 'tcp', dst_ports: [443] } };
    switch (r % 4) {
      case 0: return { id, action: 'allow', match: { proto: 'tcp', dst_ports: [443, `${8000 + r}-${8100 + r}`], dst_cidrs: [`198.18.${r}.0/24`] } };
      case 1: return { id, action: 'allow', match: { proto: 'tcp', dst_ports: [r + 1], dst_cidrs: [`198.19.${r}.0/24`] } };
      case 2: return { id, action: 'deny', match: { proto: 'udp', dst_ports: [r + 1000], dst_ips: [`203.0.113.${r}`] } };
      default: return { id, action: 'allow', match: { icmp_types: [8], dst_cidrs: [`100.64.${r}.0/24`] } };
    }
  });
}

function policy(generation: number, changedPort = 443): EffectivePolicy {
  const groups = Array.from({ length: GROUPS }, (_, g): EffectiveGroup => ({
    id: `group-${g}`, policy_id: 'bench', mode: g % 8 === 0 ? 'audit' : 'enforce',
    sources: [`10.${g >> 8}.${g & 255}.0/24`], rules: rulesOf(g), default_action: 'deny',
  }));
  // The one-rule change: group 512's first rule gets another port.
  groups[512].rules[0] = { ...groups[512].rules[0], match: { ...groups[512].rules[0].match, dst_ports: [changedPort] } };
  return { generation, default_policy: 'deny', groups };
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

function netns(ctx: BenchContext): string {
  const ns = `rpb${process.pid}-egress`;
  const run = (args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  run(['netns', 'add', ns]);
  ctx.defer(() => void spawnSync('ip', ['netns', 'del', ns]));
  return ns;
}

export const bench: Bench = async (ctx) => [await ctx.scoped(compileAndApply)];

async function compileAndApply(ctx: BenchContext): Promise<BenchmarkResult> {
  const ns = netns(ctx);
  const dir = ctx.tmpDir('rampart-bench-egress-');
  const nftCommand = ['ip', 'netns', 'exec', ns, 'nft'];
  let generation = 0;
  const full = { compile: [] as number[], apply: [] as number[] };
  const change = { compile: [] as number[], apply: [] as number[] };
  const check: number[] = [];
  /** CPU seconds (this process and nft) of each full compile + apply and each `nft -c`: what the work costs, whatever the load. */
  const cpu = { full: [] as number[], check: [] as number[] };
  let scriptBytes = 0;
  let paths: Record<string, string> = {};

  const rampartRound = async () => {
    // A fresh data plane knows no running table, so it replaces the table whole (as at start or after a reshape).
    const dataplane = createNftDataplane({ nftCommand });
    const cache = new CompileCache<any>();
    // The policies are built before the clock starts: making 65,536 rule objects is the benchmark's input, not the
    // compile (the baseline round builds its policy untimed too).
    const effective = policy(++generation);
    const cpuFrom = cpuSeconds();
    let started = process.hrtime.bigint();
    // As a policy write compiles (policy.service.ts): once enough groups are new, the script streams into an nft
    // that parses it meanwhile, and the apply ends that nft's input.
    let streamed: StreamedScript | undefined;
    const compiled = assembleCompiled(await compilePartsStreamed(effective, { after: STREAM_AFTER_GROUPS, open: () => (streamed = dataplane.streamReplace!()) }, cache));
    full.compile.push(seconds(started));
    scriptBytes = compiled.nft.length;
    started = process.hrtime.bigint();
    const fullOutcome = await dataplane.apply(compiled, { streamed });
    full.apply.push(seconds(started));
    cpu.full.push(cpuSince(cpuFrom));
    const next = policy(++generation, 8443);
    started = process.hrtime.bigint();
    const changed = compilePolicy(next, cache);
    change.compile.push(seconds(started));
    started = process.hrtime.bigint();
    const changeOutcome = await dataplane.apply(changed);
    change.apply.push(seconds(started));
    paths = { full: `${fullOutcome.path}${fullOutcome.streamed ? ' (streamed)' : ''}`, one_rule_change: `${changeOutcome.path} (${changeOutcome.chains} chains, ${changeOutcome.sets} sets)` };
  };
  const baselineRound = () => {
    const file = join(dir, 'ruleset.nft');
    writeFileSync(file, compilePolicy(policy(++generation), new CompileCache()).nft);
    const cpuFrom = cpuSeconds();
    const started = process.hrtime.bigint();
    const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -c failed: ${r.stderr}`);
    check.push(seconds(started));
    cpu.check.push(cpuSince(cpuFrom));
  };

  await rampartRound(); // warm-up: JIT, and the first apply creates the table from nothing
  full.compile.length = full.apply.length = change.compile.length = change.apply.length = cpu.full.length = 0;
  for (let round = 0; round < ctx.settings.rounds; round++) {
    for (const side of round % 2 === 0 ? ['baseline', 'rampart'] : ['rampart', 'baseline']) {
      if (side === 'baseline') baselineRound();
      else await rampartRound();
    }
    const i = full.apply.length - 1;
    ctx.log(`  round ${round + 1}: compile ${round3(full.compile[i])} s + apply ${round3(full.apply[i])} s (${paths.full}); one-rule change ${round3(change.compile[i])} s + ${round3(change.apply[i])} s (${paths.one_rule_change}); nft -c ${round3(check[check.length - 1])} s; CPU ${round3(cpu.full[i])} s vs ${round3(cpu.check[cpu.check.length - 1])} s`);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const fullS = mean(full.compile) + mean(full.apply);
  const changeS = mean(change.compile) + mean(change.apply);
  const checkS = mean(check);
  const changeRatio = round3(changeS / fullS);
  const cpuRatio = round3(mean(cpu.full) / mean(cpu.check));
  ctx.log(`  => ${GROUPS}x${RULES}: compile+apply ${round3(fullS)} s (x${round3(fullS / checkS)} of nft -c ${round3(checkS)} s, target x${TARGET_RATIO}); one-rule change ${round3(changeS)} s (x${changeRatio} of the full, target x${CHANGE_TARGET_RATIO}); CPU x${cpuRatio} (${round3(mean(cpu.full))} s vs ${round3(mean(cpu.check))} s)`);
  return {
    name: `Egress policy compile + nft apply (${GROUPS} groups x ${RULES} rules)`,
    unit: 's',
    rampart: {
      what: 'compilePolicy from an empty cache + one `nft -f` transaction replacing the table; one-rule change: incremental compilePolicy + the data plane\'s in-place apply',
      operations: full.apply.length,
      measured_s: round3(full.apply.reduce((a, b) => a + b, 0) + full.compile.reduce((a, b) => a + b, 0)),
      per_s: round3(1 / fullS),
      seconds_each: round3(fullS),
      compile_s: round3(mean(full.compile)),
      apply_s: round3(mean(full.apply)),
      one_rule_change_s: round3(changeS),
      one_rule_change_ratio: changeRatio,
      one_rule_change_meets_target: changeRatio <= CHANGE_TARGET_RATIO,
      one_rule_change_compile_s: round3(mean(change.compile)),
      one_rule_change_apply_s: round3(mean(change.apply)),
      script_bytes: scriptBytes,
      apply_paths: paths,
      cpu_s: round3(mean(cpu.full)),
    },
    baseline: { what: '`nft -c -f` of the same script (parse and kernel validation, no commit)', operations: check.length, measured_s: round3(check.reduce((a, b) => a + b, 0)), per_s: round3(1 / checkS), seconds_each: round3(checkS), cpu_s: round3(mean(cpu.check)) },
    cpu_ratio: cpuRatio,
    ratio: round3(fullS / checkS),
    target: TARGET_RATIO,
    meets_target: fullS / checkS <= TARGET_RATIO,
  };
}
