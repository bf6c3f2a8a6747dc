import { z } from 'zod';
import type { PostureVerdict } from '../access.types.js';
import type { PostureCheck, PostureRequirements } from './bundle.model.js';

/** What a device reports about itself (POST /v1/posture/assertion's facts). */
export const postureFactsSchema = z.object({
  os: z.string().max(64).optional(),
  os_version: z.string().max(64).optional(),
  disk_encrypted: z.boolean().optional(),
  firewall_on: z.boolean().optional(),
  screen_lock: z.boolean().optional(),
  av_running: z.boolean().optional(),
  client_version: z.string().max(64).optional(),
  serial_number: z.string().max(128).optional(),
});
export type PostureFacts = z.output<typeof postureFactsSchema>;

/** Dotted numeric versions compared part by part ("6.1.0" >= "6.1"); anything else fails the check. */
export function versionAtLeast(actual: string | undefined, minimum: string): boolean {
  if (actual === undefined) return false;
  const m = /^\d+(\.\d+)*/.exec(actual.trim());
  if (!m) return false;
  const a = m[0].split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** Whether one check passes on these facts: booleans must be reported true; versions must meet their minimum. */
export function checkPasses(check: PostureCheck, facts: PostureFacts, req: PostureRequirements, platform: string): boolean {
  switch (check) {
    case 'client_version':
      return req.min_client_version === null || versionAtLeast(facts.client_version, req.min_client_version);
    case 'os_version': {
      const min = req.min_os_version[platform];
      return min === undefined || versionAtLeast(facts.os_version, min);
    }
    default:
      return facts[check] === true;
  }
}

/** The verdict on a device's facts: noncompliant when any check the bundle requires fails. */
export function judge(facts: PostureFacts, req: PostureRequirements, platform: string): { verdict: PostureVerdict; failed_checks: PostureCheck[] } {
  const required = new Set<PostureCheck>(req.required);
  if (req.min_client_version !== null) required.add('client_version');
  if (req.min_os_version[platform] !== undefined) required.add('os_version');
  const failed = [...required].filter((c) => !checkPasses(c, facts, req, platform)).sort();
  return { verdict: failed.length > 0 ? 'noncompliant' : 'compliant', failed_checks: failed };
}
