#!/usr/bin/env node
/**
 * npm run build:server: compiles src/ into dist/ with esbuild: dist/main.js (the CLI, src/cli/main.ts) and chunks for
 * what it imports on demand (each command, the server), with source maps. Bundled, the server starts without the
 * module loader finding, reading and linking some 340 files one by one.
 * dist/build-info.json stamps the version, commit and build time, so a start reads a file instead of running git.
 * `serve` runs a second build of the same CLI, dist/server.cjs: one CommonJS script, which Node 20 can compile from
 * V8's code cache (dist/server.cjs.cache, made here) where it compiles ES modules from source on every start. The
 * short commands keep the split ES modules: they read and run only what they use.
 * Type checking is `npm run typecheck`'s job: this only transpiles, in a few seconds, so `npm start` can afford to
 * run it whenever the sources changed (--if-stale).
 *
 *   node scripts/build-server.js             # always rebuild
 *   node scripts/build-server.js --if-stale  # rebuild only when src/ changed since the last build
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { distDir, staleSource, srcDir } from '../bin/dist-freshness.js';
import { writeCodeCache } from '../bin/code-cache.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown'; // a tarball or an export without .git
  }
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const BUNDLED_PACKAGES = ['kysely', 'zod'];
// Packages published as ES modules only: a CommonJS script can require() them only from Node 20.19 on (engines says
// 20.10), so server.cjs carries them.
const ESM_ONLY_PACKAGES = ['jose', 'openid-client'];

if (process.argv.includes('--if-stale') && !staleSource()) process.exit(0);

// Sources edited while this build runs must count as newer than the build, so the clock is read first.
const startedAt = Date.now();
// Built beside dist/ and swapped in, so a rampart process starting meanwhile (a test run's) never sees half a build
// and chunks of an earlier build do not pile up.
const next = `${distDir}.next-${process.pid}`;
process.on('exit', () => rmSync(next, { recursive: true, force: true })); // what a failed build left
/**
 * esbuild escapes non-ASCII characters in strings and names but leaves them in comments and regular expressions
 * (a dependency's em dash). Escaped there too, the script is ASCII, which bin/code-cache.js reads as Latin-1: a
 * tenth of the time of decoding UTF-8, and V8 keeps it as one-byte text.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

const common = {
  entryPoints: { main: join(srcDir, 'cli', 'main.ts') },
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
};
await build({
  ...common,
  splitting: true,
  // npm packages stay imports of node_modules, except two pure-ESM ones whose many small modules (about a hundred)
  // cost the module loader more to find and link than they do to run once bundled.
  external: Object.keys(pkg.dependencies).filter((name) => !BUNDLED_PACKAGES.includes(name)),
  // Every file at the top of dist/, one level below the root as src/version.ts is: its relative paths hold.
  chunkNames: '[name]-[hash]',
  outdir: next,
  format: 'esm',
});
// The same CLI as one script for `serve` (bin/rampart.js). Modules reached by import() stay unevaluated until then,
// as in the split build; import.meta.url is the script's own URL, at the top of dist/ like every chunk. import() of a
// package becomes require(): code V8 takes from a cache has lost the script's import() callback (Node 20).
await build({
  ...common,
  external: Object.keys(pkg.dependencies).filter((name) => ![...BUNDLED_PACKAGES, ...ESM_ONLY_PACKAGES].includes(name)),
  outfile: join(next, 'server.cjs'),
  format: 'cjs',
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: 'var __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
asciiOnly(join(next, 'server.cjs'));
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
// Made at the script's final path (V8 keeps the file name it was compiled under in the cached code: stack traces),
// after evaluating the server's modules, which every `serve` does: their code is in the cache too.
await writeCodeCache(join(distDir, 'server.cjs'), (cli) => cli.loadServer());
process.stderr.write(`rampart: compiled src/ to dist/ in ${Date.now() - startedAt} ms\n`);
