import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './process.js';

const uiDir = join(repoRoot, 'ui');
const built = join(uiDir, 'dist', 'index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(path) : s.mtimeMs);
  }
  return newest;
}

/**
 * The browser tests drive the built console. `npm ci` builds it (prepare); a checkout whose sources are newer
 * than the build (a developer editing pages) is rebuilt here, so a test never passes against stale pages.
 */
export function ensureConsoleBuilt(): void {
  // test/run.ts calls this once before the files run; two browser test files rebuilding at once would collide.
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(newestMtime(join(uiDir, 'src')), statSync(join(uiDir, 'index.html')).mtimeMs)) return;
  const result = spawnSync('npm', ['run', 'build:ui'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build:ui failed:\n${result.stdout}\n${result.stderr}`);
}
