#!/usr/bin/env node
// The rampart command. Runs the compiled build in dist/ (made by `npm ci` through the prepare script, or by
// `npm run build:server`). When dist/ is missing or older than src/, it runs the TypeScript sources through tsx
// instead and says so: slower to start, but never the code of an older checkout.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requireWithCodeCache } from './code-cache.js';
import { staleSource } from './dist-freshness.js';

// `serve` runs the one-script build with V8's code cache (scripts/build-server.js says why); every other command the
// split ES modules, of which it reads only what it uses.
const serverScript = fileURLToPath(new URL('../dist/server.cjs', import.meta.url));

const stale = staleSource();
let main;
if (stale === undefined && process.argv[2] === 'serve' && existsSync(serverScript)) {
  ({ main } = requireWithCodeCache(serverScript).exports);
} else if (stale === undefined) {
  ({ main } = await import('../dist/main.js'));
} else {
  const why = stale === 'no build' ? 'dist/ is not built' : `${stale} changed after dist/ was built`;
  process.stderr.write(`rampart: ${why}; running the sources through tsx (slower start). npm run build:server compiles them.\n`);
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
