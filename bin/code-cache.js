// A CommonJS bundle loaded with V8's code cache: Node 20 compiles ES modules from source on every start (its compile
// cache, module.enableCompileCache, is Node 22), and compiling the server's few megabytes of JavaScript is a sizeable
// part of `serve`'s start-up. A script compiled with vm.Script can be given the code V8 made for it last time instead.
//
// Two caches sit beside the bundle, so a new build (a new dist/) never meets an old one:
//   - <bundle>.cache, written by the build: the code of the script's top level only;
//   - <bundle>.<inode>-<mtime>.warm-cache, written by the first start that finds none: also every function that
//     start compiled (V8 compiles a function when it first runs), about twice as much of the start-up spared. Named
//     after the file it was made from: a process of an older build writing it after a rebuild swapped dist/ names a
//     file the new build never reads (V8 itself only checks the source's length).
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

export const buildCacheOf = (file) => `${file}.cache`;
export const warmCacheOf = (file, stat = statSync(file)) => `${file}.${stat.ino}-${Math.trunc(stat.mtimeMs)}.warm-cache`;

/**
 * The bundle compiled as Node compiles a CommonJS module. Read as Latin-1: the build leaves it ASCII only
 * (scripts/build-server.js), and decoding UTF-8 would cost several times as long.
 */
function compile(file, cachedData) {
  const source = readFileSync(file, 'latin1');
  // No import() callback: the build leaves the script none to call (code from a cache would not keep it).
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
}

function readIfThere(path) {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Written beside and renamed into place, so a process starting meanwhile reads a whole cache or none. */
function writeAtomically(path, data) {
  const next = `${path}.${process.pid}`;
  try {
    writeFileSync(next, data);
    renameSync(next, path);
  } finally {
    rmSync(next, { force: true });
  }
}

/**
 * Runs the bundle and returns its exports, which cache V8 took (`cache`: 'warm', 'build', or 'none' when there was
 * none it would take), and `warmed()` to call once the start-up is done: it writes the warm cache unless this start
 * had it. A cache V8 refuses (another Node version, other V8 flags) or a missing one only costs the compile: the
 * source is always there. A dist/ this process cannot write keeps the build's cache.
 */
export function requireWithCodeCache(file) {
  const warmFile = warmCacheOf(file);
  const warm = readIfThere(warmFile);
  const cachedData = warm ?? readIfThere(buildCacheOf(file));
  const script = compile(file, cachedData);
  const cache = !cachedData || script.cachedDataRejected ? 'none' : warm ? 'warm' : 'build';
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  const warmed = () => {
    if (cache === 'warm') return;
    try {
      writeAtomically(warmFile, script.createCachedData());
    } catch {
      // a read-only install: the build's cache still serves
    }
  };
  return { exports: module.exports, cache, warmed };
}

/** Compiles the bundle and writes its top-level code cache (the build does this). */
export function writeBuildCache(file) {
  writeAtomically(buildCacheOf(file), compile(file).createCachedData());
}
