import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/process.js';
// @ts-expect-error: plain JavaScript beside bin/rampart.js, without declarations
import { cacheFileOf, writeCodeCache } from '../../bin/code-cache.js';

// `serve` loads dist/server.cjs through bin/code-cache.js (test/cli/serve.test.ts serves from it); here, a small
// script shows what the loader does with the cache beside it. Each start is a process of its own, as each `serve`
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

/** A start: loads the script and calls hello(name); says whether V8 took the cache. */
function start(name: string): { cache: string; answer: string } {
  const program =
    `const { requireWithCodeCache } = await import(${JSON.stringify(loader)});\n` +
    `const run = requireWithCodeCache(${JSON.stringify(script)});\n` +
    `const answer = run.exports.hello(${JSON.stringify(name)});\n` +
    'process.stdout.write(JSON.stringify({ cache: run.cache, answer }));';
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

test('a script without a cache beside it runs as a CommonJS module', () => {
  assert.deepEqual(start('a'), { cache: 'none', answer: 'hello a from bundle.cjs, call 1' });
});

test("the build's cache is taken, and holds the code of what the warm-up ran beside the top level", async () => {
  await writeCodeCache(script);
  const topLevelOnly = readFileSync(cacheFileOf(script)).length;
  assert.deepEqual(start('b'), { cache: 'build', answer: 'hello b from bundle.cjs, call 1' });
  await writeCodeCache(script, async (exports: { hello(name: string): string }) => void exports.hello('warm-up'));
  assert.ok(readFileSync(cacheFileOf(script)).length > topLevelOnly);
  // Module state is the new process's own: the warm-up's call is not counted.
  assert.deepEqual(start('c'), { cache: 'build', answer: 'hello c from bundle.cjs, call 1' });
});

test('a cache V8 refuses costs only the compile: the script still runs', () => {
  writeFileSync(cacheFileOf(script), 'not a code cache');
  assert.deepEqual(start('d'), { cache: 'none', answer: 'hello d from bundle.cjs, call 1' });
});

test('the built server script is ASCII only, so reading it as Latin-1 reads it exactly', () => {
  const bytes = readFileSync(join(repoRoot, 'dist', 'server.cjs'));
  assert.equal(bytes.findIndex((b) => b > 0x7f), -1);
  assert.ok(readdirSync(join(repoRoot, 'dist')).includes('server.cjs.cache'));
});
