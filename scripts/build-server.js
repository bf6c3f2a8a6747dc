#!/usr/bin/env node
/**
 * npm run build:server: compiles src/ to dist/ (one JavaScript file per TypeScript file, same layout, source maps)
 * with esbuild, and stamps dist/build-info.json with the version, commit and build time, so a start reads a file
 * instead of running git. Type checking is `npm run typecheck`'s job; this only transpiles, which takes about a
 * second and so can run on every `npm start` when the sources changed (--if-stale).
 *
 *   node scripts/build-server.js             # always rebuild
 *   node scripts/build-server.js --if-stale  # rebuild only when src/ changed since the last build
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { distDir, staleSource, sourceFiles, srcDir } from '../bin/dist-freshness.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown'; // a tarball or an export without .git
  }
}

if (process.argv.includes('--if-stale') && !staleSource()) process.exit(0);

// Sources edited while this build runs must count as newer than the build, so the clock is read first.
const startedAt = Date.now();
const entryPoints = sourceFiles().filter((file) => file.endsWith('.ts'));
// Built beside dist/ and swapped in, so a rampart process starting meanwhile (a test run's) never sees half a build,
// and a deleted source file does not live on in dist/.
const next = `${distDir}.next-${process.pid}`;
await build({
  entryPoints,
  outdir: next,
  outbase: srcDir,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const info = {
  rampart: pkg.version,
  commit: process.env.RAMPART_BUILD_COMMIT || gitCommit(),
  build_time: process.env.RAMPART_BUILD_TIME || new Date(startedAt).toISOString(),
  sources_at_ms: startedAt,
};
writeFileSync(join(next, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
const previous = `${distDir}.old-${process.pid}`;
rmSync(previous, { recursive: true, force: true });
try {
  renameSync(distDir, previous);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(next, distDir);
rmSync(previous, { recursive: true, force: true });
process.stderr.write(`rampart: compiled ${entryPoints.length} files to dist/ in ${Date.now() - startedAt} ms\n`);
