#!/usr/bin/env node
// The rampart command. Runs the compiled build in dist/ (made by `npm ci` through the prepare script, or by
// `npm run build:server`). When dist/ is missing or older than src/, it runs the TypeScript sources through tsx
// instead and says so: slower to start, but never the code of an older checkout.
import { staleSource } from './dist-freshness.js';

const stale = staleSource();
let main;
if (stale === undefined) {
  ({ main } = await import('../dist/main.js'));
} else {
  const why = stale === 'no build' ? 'dist/ is not built' : `${stale} changed after dist/ was built`;
  process.stderr.write(`rampart: ${why}; running the sources through tsx (slower start). npm run build:server compiles them.\n`);
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
