// A CommonJS bundle loaded with V8's code cache: Node 20 compiles ES modules from source on every start (its compile
// cache, module.enableCompileCache, is Node 22), and compiling the server's few megabytes of JavaScript is a sizeable
// part of `serve`'s start-up. A script compiled with vm.Script can be given the code V8 made for it before instead.
// The build writes the cache beside the bundle (<bundle>.cache), so a new build (a new dist/) never meets an old one.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

export const cacheFileOf = (file) => `${file}.cache`;

/**
 * The bundle compiled as Node compiles a CommonJS module. Read as Latin-1: the build leaves it ASCII only
 * (scripts/build-server.js), and decoding UTF-8 would cost several times as long. No import() callback: the build
 * leaves the script none to call (code taken from a cache would not keep it).
 */
function compile(file, cachedData) {
  const source = readFileSync(file, 'latin1');
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
}

function run(script, file) {
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/**
 * Runs the bundle and returns its exports, and whether V8 took the cache (`cache`: 'build', or 'none' when there
 * was none or V8 refused it: another Node version, other V8 flags). Either way the source is there: no cache only
 * costs the compile.
 */
export function requireWithCodeCache(file) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFileOf(file));
  } catch {
    // not built with one: compiled from source
  }
  const script = compile(file, cachedData);
  const exports = run(script, file);
  return { exports, cache: cachedData && !script.cachedDataRejected ? 'build' : 'none' };
}

/**
 * Runs the bundle, awaits warmUp(exports) and writes the code cache: the code of the top level and of every function
 * the warm-up ran (V8 compiles a function when it first runs). Written beside and renamed into place, so a process
 * starting meanwhile reads a whole cache or none.
 */
export async function writeCodeCache(file, warmUp = async () => {}) {
  const script = compile(file);
  await warmUp(run(script, file));
  const next = `${cacheFileOf(file)}.${process.pid}`;
  try {
    writeFileSync(next, script.createCachedData());
    renameSync(next, cacheFileOf(file));
  } finally {
    rmSync(next, { force: true });
  }
}
