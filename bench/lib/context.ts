import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext, BenchSettings } from './types.js';

export interface OwnedContext {
  ctx: BenchContext;
  /** Runs every deferred cleanup, last registered first; never throws. */
  cleanup(): Promise<void>;
}

/** Temp dirs still on disk, removed synchronously by run.ts's exit hook if cleanup never ran. */
export const liveTmpDirs = new Set<string>();

export function createContext(settings: BenchSettings, log: (message: string) => void): OwnedContext {
  const deferred: (() => void | Promise<void>)[] = [];
  const ctx: BenchContext = {
    settings,
    log,
    defer: (fn) => void deferred.push(fn),
    tmpDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      liveTmpDirs.add(dir);
      deferred.push(() => {
        rmSync(dir, { recursive: true, force: true });
        liveTmpDirs.delete(dir);
      });
      return dir;
    },
    async scoped(fn) {
      const inner = createContext(settings, log);
      try {
        return await fn(inner.ctx);
      } finally {
        await inner.cleanup();
      }
    },
  };
  return {
    ctx,
    async cleanup() {
      while (deferred.length) {
        try {
          await deferred.pop()!();
        } catch (err) {
          log(`cleanup failed: ${(err as Error).message}`);
        }
      }
    },
  };
}
