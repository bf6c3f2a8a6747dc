import type { Core } from '../../../core/index.js';
import type { AccessHooks } from '../access.types.js';
import { createAdmissionService } from './admission.service.js';
import { createChangeFeed } from './change-feed.js';
import { createConnectionTruth } from './connection-truth.js';
import { createGatewayService } from './gateway.service.js';
import { createPoolService } from './pool.service.js';
import { createRuntimeService } from './runtime.service.js';
import { createSessionService } from './session.service.js';

/** The gateways part, built once per core; fills the hooks it provides (enrollmentGateways, closeSessions). */
export function createGatewaysPart(core: Core, hooks: AccessHooks) {
  const feed = createChangeFeed(core);
  const pools = createPoolService(core);
  const gateways = createGatewayService(core, hooks, pools, feed);
  const admission = createAdmissionService(core, hooks, pools, feed);
  const sessions = createSessionService(core, hooks);
  const runtime = createRuntimeService(core, hooks, pools, gateways, feed);
  const connectionTruth = createConnectionTruth(core, sessions, admission);
  hooks.enrollmentGateways = async (device) => ({ pools: await runtime.directory(device.tenant_id) });
  hooks.closeSessions = (deviceIds, reason) => sessions.close(deviceIds, reason);
  hooks.gatewayCaller = (secret) => gateways.byToken(secret);
  return { feed, pools, gateways, admission, sessions, runtime, connectionTruth };
}

export type GatewaysPart = ReturnType<typeof createGatewaysPart>;
