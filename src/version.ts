import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

/** Build metadata: packaging sets RAMPART_BUILD_COMMIT / RAMPART_BUILD_TIME; a checkout asks git. */
export const versionInfo = {
  rampart: pkg.version,
  node: process.versions.node,
  commit: process.env.RAMPART_BUILD_COMMIT || gitCommit(),
  build_time: process.env.RAMPART_BUILD_TIME || 'unknown',
};
