import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/process.js';
// @ts-expect-error: plain JavaScript beside bin/rampart.js, without declarations
import { buildCacheOf, warmCacheOf, writeBuildCache } from '../../bin/code-cache.js';

// `serve` loads dist/server.cjs through bin/code-cache.js (test/cli/serve.test.ts serves from it); here, a small
// script shows what the loader does with the caches beside it. Each start is a process of its own, as each `serve`
// is: within one process V8 reuses what it compiled and ignores the cache it is given.
const dir = mkdtempSync(join(tmpdir(), 'rampart-code-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const script = join(dir, 'bundle.cjs');
writeFileSync(
  script,
  "const { basename } = require('node:path');\n" +
    'let calls = 0;\n' +
    'exports.hello = (name) => `hello ${name} from ${basename(__filename)}, call ${++calls}`;\n',
);
const loader = join(repoRoot, 'bin', 'code-cache.js');

/** A start: loads the script, calls hello(name) and, with warm, writes the warm cache; says which cache it took. */
function start(name: string, warm = false): { cache: string; answer: string } {
  const program =
    `const { requireWithCodeCache } = await import(${JSON.stringify(loader)});\n` +
    `const run = requireWithCodeCache(${JSON.stringify(script)});\n` +
    `const answer = run.exports.hello(${JSON.stringify(name)});\n` +
    `if (${warm}) run.warmed();\n` +
    'process.stdout.write(JSON.stringify({ cache: run.cache, answer }));';
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

test('a script with no cache beside it runs as a CommonJS module, and warmed() writes the warm cache for the next start', () => {
  assert.deepEqual(start('a', true), { cache: 'none', answer: 'hello a from bundle.cjs, call 1' });
  assert.deepEqual(start('b'), { cache: 'warm', answer: 'hello b from bundle.cjs, call 1' });
});

test("the build's cache is taken when there is no warm one", () => {
  rmSync(warmCacheOf(script));
  writeBuildCache(script);
  assert.deepEqual(start('c'), { cache: 'build', answer: 'hello c from bundle.cjs, call 1' });
});

test('a cache V8 refuses costs only the compile: the script still runs and the next start has a warm cache', () => {
  writeFileSync(warmCacheOf(script), 'not a code cache');
  assert.deepEqual(start('d', true), { cache: 'none', answer: 'hello d from bundle.cjs, call 1' });
  assert.equal(start('e').cache, 'warm');
});

test('a rewritten script never takes the warm cache of the one before it, even at the same length', () => {
  rmSync(buildCacheOf(script)); // the build writes its cache with the script; this is about the warm one
  writeFileSync(script, readFileSync(script, 'utf8').replace('`hello ', '`howdy '));
  assert.deepEqual(start('f'), { cache: 'none', answer: 'howdy f from bundle.cjs, call 1' });
});

test('the built server script is ASCII only, so reading it as Latin-1 reads it exactly', () => {
  const bytes = readFileSync(join(repoRoot, 'dist', 'server.cjs'));
  assert.equal(bytes.findIndex((b) => b > 0x7f), -1);
  assert.ok(readdirSync(join(repoRoot, 'dist')).includes('server.cjs.cache'));
});
