import type { MonitoringState } from '../config/config.tables.js';
import type { AlertService } from './alert.service.js';

/** States in which the host's SSH layer does not answer: OpenWatch's "unreachable". */
const UNREACHABLE: ReadonlySet<MonitoringState> = new Set(['critical', 'down']);
/** States in which it answers again. */
const ANSWERING: ReadonlySet<MonitoringState> = new Set(['online', 'degraded']);

/**
 * The consumer of liveness's onLivenessChange hook: a host entering critical or down raises host_unreachable; one
 * leaving them for online or degraded raises host_recovered (which resolves the open host_unreachable). Moves into
 * or out of maintenance raise nothing.
 */
export async function alertOnLivenessChange(alerts: AlertService, hostId: string, from: MonitoringState, to: MonitoringState): Promise<void> {
  if (UNREACHABLE.has(to) && !UNREACHABLE.has(from)) await alerts.raiseHostUnreachable(hostId);
  else if (ANSWERING.has(to) && UNREACHABLE.has(from)) await alerts.raiseHostRecovered(hostId);
}
