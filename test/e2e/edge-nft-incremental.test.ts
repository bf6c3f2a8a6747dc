/**
 * The in-place apply against the kernel: two namespaces this test makes, one applier changing its tables in place
 * after each of a series of random changes (warm compile cache), the other replacing them whole each time from a
 * cold compile. After every change both kernels must list the same tables (objects compared by name: a chain added
 * in place is listed after the others, one in a full script where the script puts it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { NftApplier } from '../../src/modules/edge/firewall/apply.js';
import { compile, createCompileCache } from '../../src/modules/edge/firewall/compile.js';
import { change, compileInput, random, randomConfig } from '../helpers/edge-firewall-random.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';

const namespaces = [`rpf${process.pid}-inc`, `rpf${process.pid}-full`];
after(() => namespaces.forEach((ns) => spawnSync('ip', ['netns', 'del', ns])));
const nftIn = (ns: string) => ['ip', 'netns', 'exec', ns, 'nft'];

function listed(ns: string, table: string): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', ...table.split(' ')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // Objects sorted by their header line; their bodies (rule order, elements) as listed.
  const objects: string[] = [];
  let current: string[] | null = null;
  for (const line of r.stdout.split('\n')) {
    if (/^\t(set|chain|map) /.test(line)) current = [line];
    else if (current && line === '\t}') {
      objects.push([...current, line].join('\n'));
      current = null;
    } else if (current) current.push(line);
  }
  return objects.sort().join('\n');
}

test('in place after random changes: the same tables as a whole replacement', { skip: skipUnlessPrograms('ip', 'nft'), timeout: 300_000 }, async () => {
  requirePrograms('ip', 'nft');
  for (const ns of namespaces) assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  const incremental = new NftApplier(nftIn(namespaces[0]));
  const cache = createCompileCache();
  const rnd = random(20261207);
  let config = randomConfig(rnd, 400, 16);
  assert.equal((await incremental.apply(compile(compileInput(config, { cache })))).mode, 'full');
  const modes: Record<string, number> = {};
  for (let step = 0; step < 40; step++) {
    const { config: next, what } = change(rnd, config);
    config = next;
    const outcome = await incremental.apply(compile(compileInput(config, { cache })));
    modes[outcome.mode] = (modes[outcome.mode] ?? 0) + 1;
    await new NftApplier(nftIn(namespaces[1])).apply(compile(compileInput(config)));
    for (const table of ['inet rampart_edge', 'ip rampart_edge_nat']) {
      assert.equal(listed(namespaces[0], table), listed(namespaces[1], table), `step ${step} (${what}, applied ${outcome.mode}): ${table} differs`);
    }
  }
  assert.ok((modes.incremental ?? 0) >= 30, `changes applied in place: ${JSON.stringify(modes)}`);
  assert.equal(modes.full ?? 0, 0, `no change here needs a replacement: ${JSON.stringify(modes)}`);
});
