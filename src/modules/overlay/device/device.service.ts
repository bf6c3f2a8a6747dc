import { errors } from '../../../core/errors.js';
import type { Principal } from '../../../core/principal.js';
import type { NodeService, OverlayBase } from '../nodes/node.service.js';
import { NODE_KEY_CONTEXT } from '../nodes/node.service.js';
import type { OverlayNodeRow } from '../overlay.tables.js';
import { certBundle } from './cert-bundle.js';
import { createDeviceTokens } from './device-tokens.js';
import { createEnrollmentCodes } from './enrollment-codes.js';
import type { DeviceCache } from './device-cache.js';
import type { NetworkParts } from './network-parts.js';
import { createNodeConfigs, noValidCertificate, type NodeConfigState } from './node-configs.js';
import { createPollStates, pollStateChanged } from './poll-states.js';

const MAX_CODE_HOURS = 720;

/**
 * The device side of a node: enrollment codes an admin hands out, their one-time redemption for a device
 * token, and what a device fetches with that token (its config and certificates).
 */
export function createDeviceService(base: OverlayBase, nodes: NodeService, poll: { cache: DeviceCache; parts: NetworkParts }) {
  const { core } = base;
  const { db } = core;
  const codes = createEnrollmentCodes(db, core.now);
  const tokens = createDeviceTokens(core);
  const configs = createNodeConfigs(base, nodes, poll.cache, poll.parts);
  // A poll's state from memory until a change is published (poll-states.ts): an unchanged device's 304 reads nothing.
  const states = createPollStates(core, poll.cache, configs.state);

  const revokedToken = () => errors.unauthorized('this device token is no longer valid (the node was re-enrolled or deleted); enroll again');

  /** The node a Bearer device token stands for, in one read: 401 unless the token is valid and its version current. */
  async function authenticate(authorization: string | undefined): Promise<NodeConfigState> {
    const claims = await tokens.verify(authorization);
    const state = await states.get(claims.nodeId);
    if (!state || state.device_token_version !== claims.version) throw revokedToken();
    return state;
  }

  /**
   * A device's poll: its token checked, and the poll recorded as a sign of life (see NodeService.recordPoll).
   * `fetchesCredentials` for the config and the certificates, whose first fetch sets first_polled_at.
   */
  async function pollOf(authorization: string | undefined, fetchesCredentials: boolean): Promise<NodeConfigState> {
    const state = await authenticate(authorization);
    // What the poll wrote is what a read would now see: the remembered state (this very object) follows it.
    Object.assign(state, await nodes.recordPoll(state, fetchesCredentials));
    return state;
  }

  /** ZIP of ca.crt, host.crt, host.key (when Rampart holds it) and README.txt. */
  async function bundle(node: OverlayNodeRow): Promise<Uint8Array> {
    const current = node.status === 'revoked' ? undefined : await nodes.certificates.current(node.id);
    if (!current) throw noValidCertificate();
    return certBundle({
      hostname: node.hostname,
      caPem: await nodes.caBundle(node.network_id),
      certPem: current.certificate_pem,
      keyPem: node.private_key === null ? null : core.secrets.openString(node.private_key, NODE_KEY_CONTEXT),
    });
  }

  return {
    authenticate,
    poll: pollOf,
    configs,

    async createEnrollmentCode(principal: Principal, nodeId: string, expiresInHours?: number) {
      const hours = expiresInHours ?? core.config.overlay.enrollment_code_ttl_hours;
      if (!(hours > 0 && hours <= MAX_CODE_HOURS)) throw errors.validation(`expires_in_hours must be more than 0 and at most ${MAX_CODE_HOURS}`);
      const { node } = await nodes.nodeFor(principal, nodeId, 'manage_nodes');
      if (node.status === 'revoked' || !(await nodes.certificates.current(node.id))) {
        throw errors.badRequest(`node "${node.hostname}" has no certificate; re-enroll it (POST /api/nodes/${node.id}/re-enroll) before creating an enrollment code`);
      }
      const { code, expires_at } = await codes.create(node.id, hours, principal.type === 'user' ? principal.id : null);
      return { node, response: { code, expires_at, node_id: node.id, hostname: node.hostname } };
    },

    /** Redeems a code for a device token; tokens issued before (an earlier enrollment) stop working. */
    async enroll(code: string) {
      const nodeId = await codes.redeem(code);
      // Incremented in place (the row stays locked until commit), so two codes of one node redeemed at once get different versions.
      await db.kysely.updateTable('overlay_nodes').set((eb) => ({ device_token_version: eb('device_token_version', '+', 1) })).where('id', '=', nodeId).execute();
      await pollStateChanged(core, { node_id: nodeId }); // the earlier tokens stop working on every Rampart node
      const node = await nodes.store.find(nodeId);
      if (!node) throw errors.notFound('Invalid enrollment code');
      return { device_token: await tokens.issue(node.id, node.device_token_version), node_id: node.id, hostname: node.hostname };
    },

    /** The poll's read, the node with its certificate, and the network's cached CA bundle: two queries at most. */
    async deviceCerts(authorization: string | undefined): Promise<Uint8Array> {
      const state = await pollOf(authorization, true);
      const node = state.status === 'revoked' ? undefined : await nodes.certificates.nodeWithCurrent(state.id);
      if (!node || node.status === 'revoked') throw noValidCertificate();
      return certBundle({
        hostname: node.hostname,
        caPem: (await poll.parts.get(state.network_id, state.config_revision)).ca,
        certPem: node.certificate_pem,
        keyPem: node.private_key === null ? null : core.secrets.openString(node.private_key, NODE_KEY_CONTEXT),
      });
    },

    async nodeCerts(principal: Principal, nodeId: string): Promise<{ node: OverlayNodeRow; zip: Uint8Array }> {
      const { node } = await nodes.nodeFor(principal, nodeId, 'secrets');
      return { node, zip: await bundle(node) };
    },

    async nodeConfig(principal: Principal, nodeId: string) {
      const { node } = await nodes.nodeFor(principal, nodeId, 'secrets');
      const state = await configs.state(node.id);
      if (!state) throw errors.notFound('Node not found');
      return { node, config: await configs.get(state) };
    },

    /**
     * Who may post a node's heartbeat: its own device, or a user with can_manage_nodes on its network (a user
     * token resolves to ctx.principal; a device token does not, so it is checked here).
     */
    async heartbeat(principal: Principal | null, authorization: string | undefined, nodeId: string) {
      let node: OverlayNodeRow;
      if (principal) {
        node = (await nodes.nodeFor(principal, nodeId, 'manage_nodes')).node;
      } else {
        const state = await authenticate(authorization);
        if (state.id !== nodeId) throw errors.forbidden('this device token belongs to another node');
        const found = await nodes.store.find(nodeId);
        if (!found) throw revokedToken();
        node = found;
      }
      return { ok: true as const, last_seen: await nodes.heartbeat(node) };
    },
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;
