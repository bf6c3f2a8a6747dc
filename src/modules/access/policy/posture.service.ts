import type { Core } from '../../../core/index.js';
import type { AccessDevice, DevicePosture, PostureVerdict } from '../access.types.js';
import type { PostureCheck, PostureRequirements } from './bundle.model.js';
import { checkPasses, judge, type PostureFacts } from './posture-checks.js';
import { UUID } from './spc.service.js';

/** How soon a device should assert again (seconds), returned as recheck_after. */
export const RECHECK_AFTER_S = 300;

export interface PostureRecord extends DevicePosture {
  facts: PostureFacts;
}

/** Posture verdicts per device: the last assertion judged against the requirements of the device's bundle. */
export function createPostureService(core: Core) {
  const { db } = core;
  const fromJson = db.dialect.fromJson;

  async function get(deviceId: string): Promise<PostureRecord> {
    const row = UUID.test(deviceId) ? await db.kysely.selectFrom('access_device_posture').selectAll().where('device_id', '=', deviceId).executeTakeFirst() : undefined;
    if (!row) return { verdict: 'unknown', failed_checks: [], checked_at: null, facts: {} };
    return { verdict: row.verdict, failed_checks: fromJson<string[]>(row.failed_checks), checked_at: row.checked_at, facts: fromJson<PostureFacts>(row.facts) };
  }

  /** Records an assertion; returns the new verdict and the one before it. */
  async function assert(device: AccessDevice, facts: PostureFacts, collectedAt: string | null, req: PostureRequirements): Promise<{ verdict: PostureVerdict; failed_checks: PostureCheck[]; previous: PostureVerdict }> {
    const previous = (await get(device.id)).verdict;
    const judged = judge(facts, req, device.platform);
    const values = {
      tenant_id: device.tenant_id,
      verdict: judged.verdict,
      failed_checks: db.dialect.toJson(judged.failed_checks),
      facts: db.dialect.toJson(facts),
      collected_at: collectedAt,
      checked_at: core.now().toISOString(),
    };
    await db.kysely
      .insertInto('access_device_posture')
      .values({ device_id: device.id, ...values })
      .onConflict((oc) => oc.column('device_id').doUpdateSet(values))
      .execute();
    return { ...judged, previous };
  }

  /** Whether a rule's posture requirement passes for the device's last facts (never, before any assertion). */
  function passes(record: PostureRecord, req: PostureRequirements, platform: string) {
    return (check: PostureCheck) => record.checked_at !== null && checkPasses(check, record.facts, req, platform);
  }

  return { get, assert, passes };
}

export type PostureService = ReturnType<typeof createPostureService>;
