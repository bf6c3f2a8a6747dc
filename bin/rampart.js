#!/usr/bin/env node
// The rampart command: loads the TypeScript sources through tsx, so the repository runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
