/**
 * Host-certificate signing: Rampart's native signer in process beside `nebula-cert sign` (what Nebula Commander
 * shells out to for every certificate), both signing with the same CA and a client-supplied public key, and both
 * ending with the certificate as PEM (nebula-cert writes its file; native signing encodes each one, as the API
 * answers it). Each side signs for a time slice per round (BENCH_DURATION_S split over the rounds), rounds
 * alternating in ABBA order so drift on a shared machine weighs on both alike. Target: native at least 150 times
 * faster. Beside them, the floor: bare node:crypto Ed25519 signatures of the same size, the one step no signer can
 * skip, so the report shows how much of a native signing is anything else.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  caPrivateKeyToPem,
  certificateFromPem,
  certificateToPem,
  createCa,
  generateHostKeyPair,
  hostPublicKeyToPem,
  signHost,
  verifyCertificate,
  type NebulaCa,
} from '../src/core/pki/nebula/index.js';
import type { Bench, BenchContext, BenchmarkResult, RateResult } from './lib/types.js';

const TARGET = 150;
/** Distinct client public keys the native side cycles through. */
const PUBLIC_KEYS = 2000;
/** Signings before timing: enough for the JIT to settle, as it has in a server that has signed for a while. */
const WARM_UP = 1000;
/** Signings per clock check: small beside a slice, large beside reading the clock. */
const BATCH = { native: 100, floor: 100, cli: 1 };
const DAY_MS = 86400_000;

interface Side {
  what: string;
  batch: number;
  /** Signs `count` certificates; returns the last one as PEM, to check it is a real certificate. */
  run(count: number): string;
  operations: number;
  seconds: number;
}

export const bench: Bench = async (ctx) => [await ctx.scoped(async (scope) => signingPair(scope))];

function signingPair(ctx: BenchContext): BenchmarkResult {
  const dir = ctx.tmpDir('rampart-bench-nebula-');
  const ca = createCa({ name: 'bench CA', validitySeconds: 730 * 86400, groups: ['web'], networks: ['10.42.0.0/16'], version: 1 });
  writeFileSync(join(dir, 'ca.crt'), certificateToPem(ca.certificate));
  writeFileSync(join(dir, 'ca.key'), caPrivateKeyToPem(ca.privateKey));
  writeFileSync(join(dir, 'host.pub'), hostPublicKeyToPem(generateHostKeyPair().publicKey));
  const native = nativeSide(ca);
  const cli = cliSide(dir);
  const floor = ed25519Side();
  native.run(WARM_UP);
  floor.run(WARM_UP);
  native.operations = native.seconds = 0;

  const rounds = ctx.settings.rounds;
  const sliceS = ctx.settings.durationS / rounds;
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? [cli, native, floor] : [floor, native, cli]) {
      const { count, seconds, pem } = timedSlice(side, sliceS);
      side.seconds += seconds;
      side.operations += count;
      if (side !== floor) verifyCertificate(certificateFromPem(pem), ca.certificate); // both sides did real, valid work
      ctx.log(`  round ${round + 1}/${rounds} ${side.what}: ${count} in ${seconds.toFixed(2)} s, ${Math.round(count / seconds)} /s`);
    }
  }
  const [rampart, baseline, bare] = [rate(native), rate(cli), rate(floor)];
  const ratio = Math.round((rampart.per_s / baseline.per_s) * 10) / 10;
  const ofFloor = Math.round((rampart.per_s / bare.per_s) * 100) / 100;
  ctx.log(`  => native ${rampart.per_s} certs/s vs nebula-cert ${baseline.per_s} certs/s: ratio ${ratio}; bare Ed25519 ${bare.per_s} signatures/s (native at ${ofFloor} of it)`);
  return { name: 'Nebula host certificate signing (v1)', unit: 'certificates/s', rampart, baseline, ratio, target: TARGET, meets_target: ratio >= TARGET, ed25519_floor: bare, native_of_floor: ofFloor };
}

/** Signs in batches until the slice has passed: the whole batches' count and time, and the last PEM. */
function timedSlice(side: Side, sliceS: number): { count: number; seconds: number; pem: string } {
  const started = process.hrtime.bigint();
  let [count, seconds, pem] = [0, 0, ''];
  while (seconds < sliceS) {
    pem = side.run(side.batch);
    count += side.batch;
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
  }
  return { count, seconds, pem };
}

/** One bare Ed25519 signature over as many bytes as a host certificate's details, per operation. */
function ed25519Side(): Side {
  const { privateKey } = generateKeyPairSync('ed25519');
  const details = Buffer.alloc(140, 7);
  return {
    what: 'node:crypto Ed25519 sign alone (the floor)',
    batch: BATCH.floor,
    operations: 0,
    seconds: 0,
    run(count) {
      for (let i = 0; i < count; i++) sign(null, details, privateKey);
      return '';
    },
  };
}

/**
 * Like Rampart's /certificates/sign: the client's public key arrives, a certificate leaves as PEM; keys are not
 * timed (they are the client's).
 */
function nativeSide(ca: NebulaCa): Side {
  const publicKeys = Array.from({ length: PUBLIC_KEYS }, () => generateHostKeyPair().publicKey);
  let next = 0;
  const notAfter = new Date(Date.now() + 365 * DAY_MS);
  const signOne = () => {
    const cert = signHost({ ca, name: `node-${next}`, networks: [`10.42.${(next >> 8) & 0xff}.${next & 0xff}/16`], groups: ['web'], publicKey: publicKeys[next++ % PUBLIC_KEYS], notAfter, version: 1 });
    return certificateToPem(cert);
  };
  return {
    what: 'rampart signHost + PEM (in process)',
    batch: BATCH.native,
    operations: 0,
    seconds: 0,
    run(count) {
      let pem = '';
      for (let i = 0; i < count; i++) pem = signOne();
      return pem;
    },
  };
}

function cliSide(dir: string): Side {
  let next = 0;
  return {
    what: 'nebula-cert sign (one process per certificate)',
    batch: BATCH.cli,
    operations: 0,
    seconds: 0,
    run(count) {
      let out = '';
      for (let i = 0; i < count; i++, next++) {
        out = join(dir, `node-${next}.crt`);
        execFileSync('nebula-cert', ['sign', '-name', `node-${next}`, '-ip', `10.42.${((next + 1) >> 8) & 0xff}.${(next + 1) & 0xff}/16`, '-groups', 'web', '-in-pub', join(dir, 'host.pub'), '-ca-crt', join(dir, 'ca.crt'), '-ca-key', join(dir, 'ca.key'), '-out-crt', out], { stdio: 'ignore' });
      }
      return readFileSync(out, 'utf8');
    },
  };
}

function rate(side: Side): RateResult {
  return { what: side.what, operations: side.operations, measured_s: Math.round(side.seconds * 1000) / 1000, per_s: Math.round(side.operations / side.seconds) };
}
