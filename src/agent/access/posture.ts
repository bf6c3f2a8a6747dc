/**
 * The facts a device asserts (POST /v1/posture/assertion). An operator (or a test) can pin them in a JSON file,
 * read at every assertion, so an MDM or a script can feed what this agent cannot see itself; otherwise the agent
 * reports what it knows: the OS, its version and its own version.
 */
import { readFileSync } from 'node:fs';
import { platform, release } from 'node:os';
import { versionInfo } from '../../version.js';

export function collectFacts(postureFile: string | undefined): Record<string, unknown> {
  const base = { os: platform(), os_version: release(), client_version: versionInfo.rampart };
  if (!postureFile) return base;
  let pinned: unknown;
  try {
    pinned = JSON.parse(readFileSync(postureFile, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the posture facts in ${postureFile}: ${(err as Error).message}`);
  }
  if (!pinned || typeof pinned !== 'object' || Array.isArray(pinned)) throw new Error(`${postureFile} must hold a JSON object of facts`);
  return { ...base, ...(pinned as Record<string, unknown>) };
}
