import type { Core } from '../../../core/index.js';
import type { AdmissionGrant, AdmissionService } from './admission.service.js';
import type { SessionService } from './session.service.js';

export type TruthVerdict = 'consistent' | 'ghost_session' | 'missing_session' | 'revoked_but_connected';

export interface TruthItem {
  session_id: string;
  device_id: string;
  user_id: string | null;
  gateway_id: string;
  expected: 'allowed' | 'denied';
  observed: 'connected' | 'absent';
  verdict: TruthVerdict;
  /** Why the device would be denied now (absent when allowed). */
  reason?: string;
  last_seen_at: string;
}

/**
 * What the control plane allows against what gateways report. A gateway still carrying a device that would be
 * denied now is revoked_but_connected (an alert); one carrying a session the control plane closed while the device
 * is still allowed, or of a device it has no record of, is a ghost; a session live in the record that its gateway
 * no longer reports is missing.
 */
export function verdictOf(expected: TruthItem['expected'], observed: TruthItem['observed'], recordLive: boolean, reason?: string): TruthVerdict {
  if (observed === 'connected') {
    if (reason === 'device_unknown') return 'ghost_session'; // nothing to revoke: the control plane never knew it
    if (expected === 'denied') return 'revoked_but_connected';
    return recordLive ? 'consistent' : 'ghost_session';
  }
  return 'missing_session';
}

export function createConnectionTruth(core: Core, sessions: SessionService, admission: AdmissionService) {
  return async function connectionTruth(tenantId: string) {
    const rows = await sessions.liveOrReported(tenantId);
    const decisions = new Map<string, Promise<AdmissionGrant>>();
    const decide = (deviceId: string, poolId: string) => {
      const key = `${deviceId}|${poolId}`;
      if (!decisions.has(key)) decisions.set(key, admission.evaluate(deviceId, undefined, poolId, tenantId));
      return decisions.get(key)!;
    };
    const items: TruthItem[] = [];
    for (const row of rows) {
      const grant = await decide(row.device_id, row.pool_id);
      const expected = grant.allow ? 'allowed' : 'denied';
      const observed = core.db.dialect.fromBool(row.reported_active) ? 'connected' : 'absent';
      items.push({
        session_id: row.id, device_id: row.device_id, user_id: row.user_id, gateway_id: row.gateway_id, expected, observed,
        verdict: verdictOf(expected, observed, row.state === 'active', grant.reason), ...(grant.allow ? {} : { reason: grant.reason }), last_seen_at: row.last_seen_at,
      });
    }
    const summary: Record<TruthVerdict, number> = { consistent: 0, ghost_session: 0, missing_session: 0, revoked_but_connected: 0 };
    for (const item of items) summary[item.verdict]++;
    return { generated_at: core.now().toISOString(), summary, alerts: summary.revoked_but_connected, items };
  };
}
