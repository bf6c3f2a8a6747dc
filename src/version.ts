import { readFileSync } from 'node:fs';

interface BuildInfo {
  rampart: string;
  commit: string;
  build_time: string;
}

/** A JSON file relative to this module; undefined when it is not there. */
function readJson<T>(relativePath: string): T | undefined {
  try {
    return JSON.parse(readFileSync(new URL(relativePath, import.meta.url), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

// What the build stamped into dist/build-info.json, beside the compiled copy of this module. From the TypeScript
// sources there is none: the version comes from package.json and the commit is unknown (no git call at start).
const stamp = readJson<BuildInfo>('./build-info.json');
const rampart = stamp?.rampart ?? readJson<{ version: string }>('../package.json')?.version ?? 'unknown';

/** Build metadata: stamped at build time; packaging may override the commit and time (RAMPART_BUILD_COMMIT / _TIME). */
export const versionInfo = {
  rampart,
  node: process.versions.node,
  commit: process.env.RAMPART_BUILD_COMMIT || stamp?.commit || 'unknown',
  build_time: process.env.RAMPART_BUILD_TIME || stamp?.build_time || 'unknown',
};
