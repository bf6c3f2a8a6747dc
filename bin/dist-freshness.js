// Whether dist/ was compiled from the sources as they are now. bin/rampart.js asks before running dist/ (a stale
// build would run code the checkout no longer has); scripts/build-server.js asks when called with --if-stale.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const srcDir = join(root, 'src');
export const distDir = join(root, 'dist');
export const buildInfoFile = join(distDir, 'build-info.json');

/**
 * Why dist/ cannot be run: 'no build' when it was never built, else the first source (file or directory: adding,
 * deleting or renaming a file changes its directory's time) changed after the build started; undefined when fresh.
 * A few hundred stat calls: a few milliseconds.
 */
export function staleSource() {
  let builtAt;
  try {
    builtAt = JSON.parse(readFileSync(buildInfoFile, 'utf8')).sources_at_ms;
  } catch {
    return 'no build';
  }
  if (typeof builtAt !== 'number') return 'no build';
  if (statSync(srcDir).mtimeMs > builtAt) return 'src';
  for (const entry of readdirSync(srcDir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if (statSync(path).mtimeMs > builtAt) return relative(root, path);
  }
  return undefined;
}
