import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/process.js';

// A checkout in miniature: the real bin/ beside a src/ and a dist/ whose main() only says which one it is.
const root = mkdtempSync(join(tmpdir(), 'rampart-freshness-'));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'bin'));
for (const file of ['rampart.js', 'dist-freshness.js', 'code-cache.js']) copyFileSync(join(repoRoot, 'bin', file), join(root, 'bin', file));
symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
mkdirSync(join(root, 'src', 'cli'), { recursive: true });
writeFileSync(join(root, 'src', 'cli', 'main.ts'), "export function main(): void { process.stdout.write('sources'); }\n");

const built = (sourcesAtMs: number) => {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, 'dist', 'main.js'), "export function main() { process.stdout.write('compiled'); }\n");
  writeFileSync(join(root, 'dist', 'build-info.json'), JSON.stringify({ rampart: '0.0.0', commit: 'c', build_time: 't', sources_at_ms: sourcesAtMs }));
};
const setTime = (path: string, ms: number) => utimesSync(path, ms / 1000, ms / 1000);
const rampart = () => spawnSync(process.execPath, [join(root, 'bin', 'rampart.js')], { encoding: 'utf8' });
const HOUR = 3_600_000;

test('rampart runs the compiled build when nothing under src/ changed since it was built', () => {
  const now = Date.now();
  for (const path of ['src/cli/main.ts', 'src/cli', 'src']) setTime(join(root, path), now - HOUR);
  built(now);
  const run = rampart();
  assert.equal(run.stdout, 'compiled');
  assert.equal(run.stderr, '');
});

test('rampart runs the sources, saying which file is newer, when one changed after the build', () => {
  const now = Date.now();
  for (const path of ['src/cli', 'src']) setTime(join(root, path), now - HOUR);
  setTime(join(root, 'src/cli/main.ts'), now + HOUR);
  built(now);
  const run = rampart();
  assert.equal(run.stdout, 'sources');
  assert.match(run.stderr, /src\/cli\/main\.ts changed after dist\/ was built; running the sources through tsx/);
});

test('rampart runs the sources, saying so, when a file was added or removed after the build', () => {
  const now = Date.now();
  setTime(join(root, 'src/cli/main.ts'), now - HOUR);
  setTime(join(root, 'src'), now - HOUR);
  setTime(join(root, 'src/cli'), now + HOUR); // what adding, deleting or renaming a file there does
  built(now);
  const run = rampart();
  assert.equal(run.stdout, 'sources');
  assert.match(run.stderr, /src\/cli changed after dist\/ was built/);
});

test('rampart runs the sources, saying so, when dist/ was never built', () => {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const run = rampart();
  assert.equal(run.stdout, 'sources');
  assert.match(run.stderr, /dist\/ is not built; running the sources through tsx/);
});
