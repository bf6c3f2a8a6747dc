import type { AccessGatewayRow } from './gateways.tables.js';

export type GatewayStatus = 'pending' | 'online' | 'degraded' | 'offline';

/** Seconds between a gateway's heartbeats (deployment-config tells it). */
export const HEARTBEAT_INTERVAL_S = 15;
/** Three missed heartbeats make it degraded, eight offline. */
const DEGRADED_AFTER_MS = 3 * HEARTBEAT_INTERVAL_S * 1000;
const OFFLINE_AFTER_MS = 8 * HEARTBEAT_INTERVAL_S * 1000;

/**
 * A gateway's status from its last heartbeat: pending until the first, online while they keep coming (degraded
 * when it says so itself), degraded after three missed, offline after eight.
 */
export function gatewayStatus(row: Pick<AccessGatewayRow, 'last_heartbeat_at' | 'reported_status'>, now: Date): GatewayStatus {
  if (!row.last_heartbeat_at) return 'pending';
  const age = now.getTime() - new Date(row.last_heartbeat_at).getTime();
  if (age > OFFLINE_AFTER_MS) return 'offline';
  if (age > DEGRADED_AFTER_MS || row.reported_status === 'degraded') return 'degraded';
  return 'online';
}

/** Whether devices should be sent to it. */
export const servesDevices = (status: GatewayStatus) => status === 'online' || status === 'degraded';
