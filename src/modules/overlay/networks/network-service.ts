import { pollStateChanged } from '../device/poll-states.js';
import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { verifyReauthToken } from '../../../core/identity/sso/reauth.js';
import type { Principal } from '../../../core/principal.js';
import { callerUserId, type NetworkAccessService } from '../access/network-access.js';
import type { Ipam } from '../ipam/ipam.js';
import { parseSubnet } from '../ipam/subnet.js';
import type { CertificateVersion } from '../../../core/pki/nebula/types.js';
import type { ConfigRevisions } from './config-revision.js';
import type { NetworkCas } from './network-cas.js';
import { lockNetworkRow } from './network-lock.js';
import { assertNetworkName } from './network-name.js';
import { renderNetworks, type NetworkView } from './network-view.js';

export interface NetworkServiceDeps {
  core: Core;
  access: NetworkAccessService;
  ipam: Ipam;
  cas: NetworkCas;
  revisions: ConfigRevisions;
  /** After a CA rotation, every node whose key Rampart holds is reissued a certificate under the new CA. */
  nodes: { reissueAll(networkId: string): Promise<number> };
}

export interface CreateNetworkInput {
  name: string;
  subnet_cidr: string;
  cert_version?: CertificateVersion;
  auto_approve_nodes?: boolean;
}

export interface UpdateNetworkInput {
  name?: string;
  auto_approve_nodes?: boolean;
  default_cert_days?: number;
}

/** Networks: create (with their first CA and their creator as owner), read, update, delete, CA rotation, check-ip. */
export function createNetworkService(deps: NetworkServiceDeps) {
  const { core, access, ipam, cas, revisions } = deps;
  const { db } = core;

  async function render(principal: Principal, networkId: string): Promise<NetworkView> {
    return (await renderNetworks(db, [await access.require(principal, networkId, 'view')]))[0];
  }

  async function assertNameFree(name: string, exceptId?: string): Promise<void> {
    let q = db.kysely.selectFrom('overlay_networks').select('id').where('name', '=', name);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw nameTaken(name);
  }
  const nameTaken = (name: string) => errors.conflict(`Network with name '${name}' already exists`);

  /** Writes that can lose a race on the unique name answer 409 like the check before them. */
  async function uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (db.dialect.isUniqueViolation(err)) throw nameTaken(name);
      throw err;
    }
  }

  return {
    async list(principal: Principal): Promise<NetworkView[]> {
      return renderNetworks(db, await access.visible(principal));
    },

    get: render,

    async create(principal: Principal, input: CreateNetworkInput): Promise<NetworkView> {
      const userId = callerUserId(principal, 'create a network');
      const name = assertNetworkName(input.name);
      const subnet = parseSubnet(input.subnet_cidr);
      const version = input.cert_version ?? 1;
      const id = randomUUID();
      await db.transaction(async () => {
        await assertNameFree(name);
        const now = core.now().toISOString();
        await uniqueName(name, () => db.kysely.insertInto('overlay_networks').values({
          id,
          name,
          subnet_cidr: subnet.cidr,
          cert_version: version,
          auto_approve_nodes: db.dialect.toBool(input.auto_approve_nodes ?? false),
          default_cert_days: core.config.overlay.cert_validity_days,
          config_revision: 0,
          created_by: userId,
          created_at: now,
          updated_at: now,
        }).execute());
        const yes = db.dialect.toBool(true);
        await db.kysely.insertInto('overlay_network_permissions').values({
          network_id: id, user_id: userId, role: 'owner', can_manage_nodes: yes, can_invite_users: yes, can_manage_firewall: yes, invited_by: null, created_at: now,
        }).execute();
        await cas.issue(id, name, version);
      });
      return render(principal, id);
    },

    async update(principal: Principal, networkId: string, input: UpdateNetworkInput): Promise<NetworkView> {
      const { network } = await access.require(principal, networkId, 'owner');
      const set: Record<string, unknown> = {};
      if (input.name !== undefined && input.name !== network.name) {
        set.name = assertNetworkName(input.name);
        await assertNameFree(input.name, network.id);
      }
      if (input.auto_approve_nodes !== undefined) set.auto_approve_nodes = db.dialect.toBool(input.auto_approve_nodes);
      if (input.default_cert_days !== undefined) set.default_cert_days = input.default_cert_days;
      if (Object.keys(set).length > 0) {
        set.updated_at = core.now().toISOString();
        await uniqueName(String(set.name ?? ''), () => db.kysely.updateTable('overlay_networks').set(set).where('id', '=', network.id).execute());
      }
      return render(principal, network.id);
    },

    /** Owners (and system admins) delete with a fresh reauth token and the network's name typed as confirmation. */
    async delete(principal: Principal, networkId: string, input: { reauth_token?: string | null; confirmation?: string | null }): Promise<{ name: string }> {
      const { network } = await access.require(principal, networkId, 'owner');
      await verifyReauthToken(core.identity.keyset, input.reauth_token, principal.id);
      if (input.confirmation !== network.name) {
        throw errors.validation(`confirmation must be the network's name, '${network.name}'`);
      }
      await db.kysely.deleteFrom('overlay_networks').where('id', '=', network.id).execute();
      await pollStateChanged(core, { network_id: network.id }); // its nodes went with it: their tokens stop working
      return { name: network.name };
    },

    /**
     * Rampart extension: a new active CA (the old one stays trusted until it expires, so nodes keep talking while
     * they are reissued), a config revision, and every node's certificate reissued under the new CA.
     */
    async rotateCa(principal: Principal, networkId: string): Promise<{ view: NetworkView; previousFingerprint: string; fingerprint: string; reissued: number }> {
      const { network } = await access.require(principal, networkId, 'owner');
      // Node creates in flight (they read the CAs before their commit) finish first, and new ones wait for this one.
      await lockNetworkRow(db, network.id);
      const previous = await cas.active(network.id);
      const issued = await cas.issue(network.id, network.name, network.cert_version as CertificateVersion);
      await revisions.bump(network.id);
      const reissued = await deps.nodes.reissueAll(network.id);
      return { view: await render(principal, network.id), previousFingerprint: previous.fingerprint, fingerprint: issued.fingerprint, reissued };
    },

    async checkIp(principal: Principal, networkId: string, ip: string): Promise<{ available: boolean }> {
      const { network } = await access.require(principal, networkId, 'view');
      return { available: await ipam.isAvailable(network.id, network.subnet_cidr, ip) };
    },
  };
}

export type NetworkService = ReturnType<typeof createNetworkService>;
