import { mapPage, type Page, type PageRequest } from '../../../core/db/paginate.js';
import { randomUUID } from 'node:crypto';
import { errors, isRampartError } from '../../../core/errors.js';
import type { Principal } from '../../../core/principal.js';
import { generateHostKeyPair, hostPrivateKeyToPem, hostPublicKeyFromPem, hostPublicKeyToPem } from '../../../core/pki/nebula/index.js';
import type { Core } from '../../../core/index.js';
import type { Capability, NetworkAccess, NetworkAccessService } from '../access/network-access.js';
import type { Ipam } from '../ipam/ipam.js';
import type { ConfigRevisions } from '../networks/config-revision.js';
import type { NetworkCas } from '../networks/network-cas.js';
import { lockNetworkRow } from '../networks/network-lock.js';
import { sealContext } from '../../../core/secrets/sealed-columns.js';
import { verifyReauthToken } from '../../../core/identity/sso/reauth.js';
import { overlaySealedColumns } from '../overlay.sealed.js';
import type { OverlayCaRow, OverlayNetworkRow, OverlayNodeRow } from '../overlay.tables.js';
import { createLivenessWrites } from './liveness-writes.js';
import { createCertificateIssuer } from './certificate-issuer.js';
import { createCertificateStore } from './certificate.store.js';
import { createNodeStore } from './node.store.js';
import { assertHostname, assertPublicEndpoint, assertTunDevice, normalizeGroups } from './node-validation.js';
import { toNodeView, type NodeView } from './node-view.js';

/** The overlay services a node service stands on (overlay.services.ts wires them). */
export interface OverlayBase {
  core: Core;
  access: NetworkAccessService;
  ipam: Ipam;
  cas: NetworkCas;
  revisions: ConfigRevisions;
}
type Json = Record<string, unknown>;

export const NODE_KEY_CONTEXT = sealContext(overlaySealedColumns.nodePrivateKey);
const DAY_MS = 86_400_000;
/** How far above the highest address a create that runs again may land, per attempt (ipam.claim's spread). */
const SPREAD_PER_ATTEMPT = 16;

/** How often a polling device's last_seen is written at most (halved when offline_after_s is shorter). */
const LAST_SEEN_WRITE_INTERVAL_S = 30;

/** What recordPoll needs of a node: read with the device token's check, so a poll costs no extra read. */
export type PollState = Pick<OverlayNodeRow, 'id' | 'status' | 'last_seen_at' | 'first_polled_at'>;

/** Options a node carries into its config; null clears one. */
export interface NodeOptionsInput {
  is_lighthouse?: boolean;
  is_relay?: boolean;
  public_endpoint?: string | null;
  lighthouse_options?: Json | null;
  logging_options?: Json | null;
  punchy_options?: Json | null;
  tun_device?: string | null;
}

export interface CreateNodeInput extends NodeOptionsInput {
  networkId: string;
  hostname: string;
  /** Either a list, or the spec's `group` (one name or a comma list). */
  groups?: string[] | null;
  group?: string | null;
  suggested_ip?: string | null;
  duration_days?: number | null;
}

export interface SignInput extends CreateNodeInput {
  /** PEM "NEBULA X25519 PUBLIC KEY", as `nebula-cert keygen` writes it. */
  public_key: string;
}

/**
 * The step-up Nebula Commander's newest source asks for before deleting a node or revoking its certificate. The
 * spec asks for none, so both fields are optional; whichever a client sends must hold.
 */
export interface StepUpInput {
  reauth_token?: string | null;
  confirmation?: string | null;
}

export interface UpdateNodeInput extends NodeOptionsInput {
  groups?: string[] | null;
  group?: string | null;
}

/**
 * Nodes and their certificates: creation with a server-made keypair (its private key sealed at rest) or a
 * client's public key, changes, revocation, re-enrollment, deletion and liveness. Every change that alters any
 * node's config bumps the network's config_revision in the same transaction. Addresses come from the IPAM.
 */
export function createNodeService(base: OverlayBase) {
  const { core, access, ipam, cas, revisions } = base;
  const { db } = core;
  const nodes = createNodeStore(db);
  const certificates = createCertificateStore(db, core.now);
  const issuer = createCertificateIssuer(core, cas, certificates);
  const liveness = createLivenessWrites(core);
  const offlineAfterS = () => core.config.overlay.offline_after_s;
  const nowIso = () => core.now().toISOString();
  const bool = (v: boolean | undefined) => db.dialect.toBool(v === true);
  const jsonOrNull = (v: Json | null | undefined) => (v == null ? null : db.dialect.toJson(v));
  const seal = (pem: string) => core.secrets.seal(pem, NODE_KEY_CONTEXT);
  /** A create lost a race for a name or an address (a unique index), or PostgreSQL broke a deadlock between two. */
  const lostRace = (err: unknown) => db.dialect.isUniqueViolation(err) || (err as { code?: unknown }).code === '40P01';

  async function view(row: OverlayNodeRow): Promise<NodeView> {
    const current = await certificates.current(row.id);
    return toNodeView(row, current ?? null, db.dialect, core.now(), offlineAfterS());
  }

  /** The node and the caller's access to its network: 404 'Node not found' when missing or invisible. */
  async function nodeFor(principal: Principal, nodeId: string, capability: Capability): Promise<{ node: OverlayNodeRow; access: NetworkAccess }> {
    const node = await nodes.find(nodeId);
    if (!node) throw errors.notFound('Node not found');
    try {
      return { node, access: await access.require(principal, node.network_id, capability, { nodeId: node.id }) };
    } catch (err) {
      if (isRampartError(err) && err.status === 404) throw errors.notFound('Node not found');
      throw err;
    }
  }

  async function visibleNetworkIds(principal: Principal, networkId?: string): Promise<string[]> {
    if (networkId !== undefined) return [(await access.require(principal, networkId, 'view')).network.id];
    return (await access.visible(principal)).map((a) => a.network.id);
  }

  /** Every CA the network's nodes trust, active first, as one PEM bundle (what pki.ca and ca.crt hold). */
  async function caBundle(networkId: string): Promise<string> {
    return bundleOf(await cas.trusted(networkId));
  }
  const bundleOf = (trusted: OverlayCaRow[]) => trusted.map((row) => `${row.certificate_pem.trimEnd()}\n`).join('');

  /**
   * A new node with its address and its first certificate. Its row, its certificate's row and the revision bump are
   * held for the unit's last writes (db.defer), so on PostgreSQL the network's row lock (the bump's) is taken only
   * then, for the time left until the commit: nothing here waits for another create, signing included. The caller
   * read the network key-share locked (access.network), which the removal of the last lighthouse and a CA rotation
   * wait for (lockNetworkRow), so the checks below hold until the commit. Name and address are checked without a
   * lock: the unique indexes have the last word, and a unit that loses a race for them runs again (db.retryIf),
   * when its checks see the winner (409 for the name or a suggested address, the next free address otherwise).
   */
  async function newNode(network: OverlayNetworkRow, input: CreateNodeInput, actorUserId: string | null, keys: { publicKey: Uint8Array; privateKeyPem: string | null }) {
    const hostname = assertHostname(input.hostname);
    const groups = normalizeGroups(input) ?? [];
    const publicEndpoint = assertPublicEndpoint(input.public_endpoint);
    const tunDevice = assertTunDevice(input.tun_device);
    const attempt = db.retryIf(lostRace);
    const read = await ipam.readTop(network.id, () => nodes.placement(network.id, hostname));
    const placement = read.value;
    if (!input.is_lighthouse && !placement.hasLighthouse) {
      throw errors.badRequest('the first node of a network must be a lighthouse: create it with is_lighthouse true and a public_endpoint');
    }
    if (placement.nameTaken) throw errors.conflict(`a node named "${hostname}" already exists in this network`);
    // Run again after losing an address to another Rampart node, whose other creates hold the next ones: farther up.
    const { ip_address, ip_number } = await ipam.claim(network.id, network.subnet_cidr, input.suggested_ip || null, read, attempt > 1 ? SPREAD_PER_ATTEMPT * attempt : 0);
    const trusted = await cas.trustedAsOf(network.id, placement.activeCaId);
    const at = nowIso();
    const row: OverlayNodeRow = {
      id: randomUUID(),
      network_id: network.id,
      hostname,
      ip_address,
      ip_number,
      groups: db.dialect.toJson(groups),
      is_lighthouse: bool(input.is_lighthouse),
      is_relay: bool(input.is_relay),
      public_endpoint: publicEndpoint,
      lighthouse_options: jsonOrNull(input.lighthouse_options),
      logging_options: jsonOrNull(input.logging_options),
      punchy_options: jsonOrNull(input.punchy_options),
      tun_device: tunDevice,
      status: 'pending',
      last_seen_at: null,
      first_polled_at: null,
      private_key: keys.privateKeyPem === null ? null : seal(keys.privateKeyPem),
      public_key_pem: hostPublicKeyToPem(keys.publicKey),
      device_token_version: 0,
      created_by: actorUserId,
      created_at: at,
      updated_at: at,
    };
    await revisions.bump(network.id, { held: true });
    await nodes.insert(row, { deferred: true });
    const ca = await cas.activeAmong(network.id, trusted);
    const issued = await issuer.issue({ network, nodeId: row.id, hostname, ipAddress: ip_address, groups, publicKey: keys.publicKey, durationDays: input.duration_days, ca });
    return { row, issued, caBundle: bundleOf(trusted) };
  }

  /** Creates a node with a server-generated keypair and its first certificate. No permission check: callers do it. */
  async function create(input: CreateNodeInput, actorUserId: string | null, known?: OverlayNetworkRow) {
    return db.transaction(async () => {
      const network = known ?? (await access.network(input.networkId, { keyShare: true }));
      const keys = generateHostKeyPair();
      const privateKey = hostPrivateKeyToPem(keys.privateKey);
      const { row, issued, caBundle } = await newNode(network, input, actorUserId, { publicKey: keys.publicKey, privateKeyPem: privateKey });
      return {
        node_id: row.id,
        hostname: row.hostname,
        ip_address: row.ip_address!,
        certificate: issued.pem,
        private_key: privateKey,
        ca_certificate: caBundle,
        fingerprint: issued.row.fingerprint,
      };
    });
  }

  /** An address for a node that lost its own (revoked) or asks for another one. */
  async function addressFor(network: OverlayNetworkRow, node: OverlayNodeRow, suggestedIp?: string | null) {
    if (node.ip_address && (!suggestedIp || suggestedIp === node.ip_address)) return { ip_address: node.ip_address, ip_number: node.ip_number! };
    return ipam.allocate(network.id, network.subnet_cidr, suggestedIp || null);
  }

  /** Replaces a node's certificates with one for this public key (and, when given, a server-held private key). */
  async function reissue(network: OverlayNetworkRow, node: OverlayNodeRow, opts: { publicKey: Uint8Array; privateKeyPem: string | null; groups: string[]; suggestedIp?: string | null; durationDays?: number | null; patch?: Partial<OverlayNodeRow> }) {
    await certificates.revokeAllOf(node.id);
    const address = await addressFor(network, node, opts.suggestedIp);
    await nodes.update(node.id, {
      ...address,
      groups: db.dialect.toJson(opts.groups),
      private_key: opts.privateKeyPem === null ? null : seal(opts.privateKeyPem),
      public_key_pem: hostPublicKeyToPem(opts.publicKey),
      status: node.status === 'revoked' ? 'pending' : node.status,
      updated_at: nowIso(),
      ...opts.patch,
    });
    const issued = await issuer.issue({ network, nodeId: node.id, hostname: node.hostname, ipAddress: address.ip_address, groups: opts.groups, publicKey: opts.publicKey, durationDays: opts.durationDays });
    await revisions.bump(network.id);
    return { issued, address };
  }

  const groupsOf = (node: OverlayNodeRow) => db.dialect.fromJson<string[]>(node.groups);

  /** A reauth_token sent must be the caller's and fresh (403); a confirmation sent must be the hostname (400). */
  async function assertStepUp(principal: Principal, node: OverlayNodeRow, input: StepUpInput): Promise<void> {
    if (input.reauth_token != null) await verifyReauthToken(core.identity.keyset, input.reauth_token, principal.id);
    if (input.confirmation != null && input.confirmation !== node.hostname) {
      throw errors.validation(`confirmation must be the node's hostname, '${node.hostname}'`);
    }
  }

  return {
    create,
    nodeFor,
    caBundle,
    store: nodes,
    certificates,

    /** POST /certificates/create: manage_nodes on the network (read key-share locked, as newNode needs). */
    async createWithCertificate(principal: Principal, input: CreateNodeInput) {
      const { network } = await access.require(principal, input.networkId, 'manage_nodes', { keyShare: true });
      return create(input, principal.type === 'user' ? principal.id : null, network);
    },

    /** POST /certificates/sign: signs the client's public key; creates the node, or re-keys the one of that name. */
    async sign(principal: Principal, input: SignInput) {
      const { network } = await access.require(principal, input.networkId, 'manage_nodes');
      const publicKey = hostPublicKeyFromPem(input.public_key);
      const hostname = assertHostname(input.hostname);
      const existing = await nodes.findByName(network.id, hostname);
      if (existing) {
        const groups = normalizeGroups(input) ?? groupsOf(existing);
        const { issued, address } = await reissue(network, existing, { publicKey, privateKeyPem: null, groups, suggestedIp: input.suggested_ip, durationDays: input.duration_days });
        return { node_id: existing.id, ip_address: address.ip_address, certificate: issued.pem, ca_certificate: await caBundle(network.id) };
      }
      // Key-share locked only for a new node: a re-key may lock the row itself (a new address), and two re-keys
      // holding key-share locks while each waits for that lock would deadlock.
      await access.network(network.id, { keyShare: true });
      const created = await newNode(network, { ...input, hostname }, principal.type === 'user' ? principal.id : null, { publicKey, privateKeyPem: null });
      return { node_id: created.row.id, ip_address: created.row.ip_address!, certificate: created.issued.pem, ca_certificate: created.caBundle };
    },

    async list(principal: Principal, networkId: string | undefined, request: PageRequest): Promise<Page<NodeView>> {
      const ids = await visibleNetworkIds(principal, networkId);
      const [page, expiries] = await Promise.all([nodes.listPage(ids, request), certificates.currentExpiries(ids)]);
      const now = core.now();
      return mapPage(page, (row) => toNodeView(row, expiries.get(row.id) ?? null, db.dialect, now, offlineAfterS()));
    },

    async get(principal: Principal, nodeId: string): Promise<NodeView> {
      return view((await nodeFor(principal, nodeId, 'view')).node);
    },

    async listCertificates(principal: Principal, networkId: string | undefined, page: PageRequest) {
      return certificates.list(await visibleNetworkIds(principal, networkId), page);
    },

    async update(principal: Principal, nodeId: string, input: UpdateNodeInput): Promise<OverlayNodeRow> {
      const { node, access: { network } } = await nodeFor(principal, nodeId, 'manage_nodes');
      await lockNetworkRow(db, network.id);
      if (input.is_lighthouse === false && db.dialect.fromBool(node.is_lighthouse) && !(await nodes.hasLighthouse(network.id, node.id))) {
        throw errors.conflict(`"${node.hostname}" is the only lighthouse of this network; make another node a lighthouse first`);
      }
      const patch: Partial<OverlayNodeRow> = { updated_at: nowIso() };
      if (input.is_lighthouse !== undefined) patch.is_lighthouse = bool(input.is_lighthouse);
      if (input.is_relay !== undefined) patch.is_relay = bool(input.is_relay);
      if (input.public_endpoint !== undefined) patch.public_endpoint = assertPublicEndpoint(input.public_endpoint);
      if (input.tun_device !== undefined) patch.tun_device = assertTunDevice(input.tun_device);
      for (const key of ['lighthouse_options', 'logging_options', 'punchy_options'] as const) {
        if (input[key] !== undefined) patch[key] = jsonOrNull(input[key]);
      }
      const groups = normalizeGroups(input);
      const current = await certificates.current(node.id);
      if (groups && current && node.public_key_pem && JSON.stringify(groups) !== JSON.stringify(groupsOf(node))) {
        // Groups live in the certificate: a new one replaces it, and the old one is revoked so it cannot claim the old groups.
        const remainingDays = (Date.parse(current.expires_at) - core.now().getTime()) / DAY_MS;
        const privateKeyPem = node.private_key === null ? null : core.secrets.openString(node.private_key, NODE_KEY_CONTEXT);
        await reissue(network, node, { publicKey: hostPublicKeyFromPem(node.public_key_pem), privateKeyPem, groups, durationDays: remainingDays, patch });
      } else {
        if (groups) patch.groups = db.dialect.toJson(groups);
        await nodes.update(node.id, patch);
        await revisions.bump(network.id);
      }
      return node;
    },

    /** Deletes a node: its certificates are revoked (and stay for the blocklist), its address is freed with its row. */
    async delete(principal: Principal, nodeId: string, stepUp: StepUpInput = {}): Promise<OverlayNodeRow> {
      const { node } = await nodeFor(principal, nodeId, 'manage_nodes');
      await assertStepUp(principal, node, stepUp);
      await lockNetworkRow(db, node.network_id); // two lighthouses deleted at once must not both pass the check
      if (db.dialect.fromBool(node.is_lighthouse) && !(await nodes.hasLighthouse(node.network_id, node.id)) && (await nodes.countNodes(node.network_id)) > 1) {
        throw errors.conflict(`"${node.hostname}" is the only lighthouse of this network; make another node a lighthouse before deleting it`);
      }
      await certificates.revokeAllOf(node.id);
      await nodes.delete(node.id);
      await revisions.bump(node.network_id);
      return node;
    },

    /** Revokes the node's certificates, frees its address and forgets its key; the node stays and can re-enroll. */
    async revoke(principal: Principal, nodeId: string, stepUp: StepUpInput = {}): Promise<OverlayNodeRow> {
      const { node } = await nodeFor(principal, nodeId, 'manage_nodes');
      await assertStepUp(principal, node, stepUp);
      await certificates.revokeAllOf(node.id);
      await nodes.update(node.id, { ip_address: null, ip_number: null, private_key: null, status: 'revoked', updated_at: nowIso() });
      await revisions.bump(node.network_id);
      return node;
    },

    /**
     * A new server keypair and certificate (an address again if it was freed). The device token stays valid, as
     * in Nebula Commander: a running agent fetches the new certificate on its next poll, and is cut off only when
     * the enrollment code made for the re-enrollment is redeemed (which bumps device_token_version). As in
     * Commander, the node reads as not yet polled (pending, no first_polled_at or last_seen) until a device polls.
     */
    async reEnroll(principal: Principal, nodeId: string): Promise<OverlayNodeRow> {
      const { node, access: { network } } = await nodeFor(principal, nodeId, 'manage_nodes');
      const keys = generateHostKeyPair();
      await reissue(network, node, {
        publicKey: keys.publicKey,
        privateKeyPem: hostPrivateKeyToPem(keys.privateKey),
        groups: groupsOf(node),
        patch: { status: 'pending', first_polled_at: null, last_seen_at: null },
      });
      return node;
    },

    /** Liveness: last_seen and active (a revoked node stays revoked). Configs do not change, so no revision bump. */
    async heartbeat(node: OverlayNodeRow): Promise<string> {
      const at = nowIso();
      await nodes.touch(node.id, at, node.status === 'revoked' ? 'revoked' : 'active');
      return at;
    },

    /**
     * A device poll (config, certificates, DNS) is a sign of life, as a heartbeat is: agents that send no
     * heartbeats (Nebula Commander's ncclient) must not read offline. last_seen is written at most once per
     * interval (well inside offline_after_s) unless the status changes, so polls stay one read; the first config
     * or certificate fetch sets first_polled_at. A status change and first_polled_at are written at once; a
     * refresh of last_seen alone within a second, batched with the others (liveness-writes.ts).
     */
    async recordPoll(node: PollState, fetchesCredentials: boolean): Promise<Partial<OverlayNodeRow>> {
      const at = core.now();
      const patch: Partial<OverlayNodeRow> = {};
      if (fetchesCredentials && node.first_polled_at === null) patch.first_polled_at = at.toISOString();
      const intervalMs = Math.min(LAST_SEEN_WRITE_INTERVAL_S, offlineAfterS() / 2) * 1000;
      const stale = node.last_seen_at === null || at.getTime() - Date.parse(node.last_seen_at) >= intervalMs;
      const statusStays = node.status === 'active' || node.status === 'revoked';
      if (!statusStays) patch.status = 'active';
      if (stale || !statusStays) {
        patch.last_seen_at = at.toISOString();
        // A refresh of last_seen alone is written within a second, with the others (liveness-writes.ts).
        if (patch.status === undefined && patch.first_polled_at === undefined) {
          liveness.note(node.id, patch.last_seen_at);
          return patch;
        }
      }
      if (Object.keys(patch).length > 0) await nodes.update(node.id, patch);
      return patch;
    },

    /**
     * After a CA rotation: nodes whose private key Rampart holds get a certificate from the new active CA. Nodes
     * holding their own keys keep theirs (the old CA stays trusted until it expires). Old certificates are not
     * revoked: the same node holds them, and revoking would cut it off until it fetches its new config.
     */
    async reissueAll(networkId: string): Promise<number> {
      return db.transaction(async () => {
        const network = await access.network(networkId);
        const rows = (await nodes.list([network.id])).filter((n) => n.private_key !== null && n.public_key_pem !== null && n.ip_address !== null && n.status !== 'revoked');
        for (const node of rows) {
          await issuer.issue({ network, nodeId: node.id, hostname: node.hostname, ipAddress: node.ip_address!, groups: groupsOf(node), publicKey: hostPublicKeyFromPem(node.public_key_pem!) });
          await nodes.update(node.id, { updated_at: nowIso() });
        }
        await revisions.bump(network.id);
        return rows.length;
      });
    },
  };
}

export type NodeService = ReturnType<typeof createNodeService>;
