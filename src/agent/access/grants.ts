/**
 * The gateway's admitted devices: one grant each (from the control plane's client-admission-grant), mirrored into
 * the data plane as a WireGuard peer (allowed-ips its overlay /32, a route back to it) and its nft rules. Changes
 * run one at a time, so the peer set and the table never disagree for long; an admission writes rules before the
 * peer appears, a removal takes the peer out first, then its rules, then its tracked connections.
 */
import { randomUUID } from 'node:crypto';
import type { AgentLog } from '../overlay/log.js';
import { destinationKey, type Destination } from './destinations.js';
import type { DeviceRules } from './nft.js';

export interface Grant {
  grant_id: string;
  device_id: string;
  user_id: string | null;
  overlay_ip: string;
  public_key: string;
  destinations: Destination[];
  /** ms since the epoch: the gateway drops the device then without asking. */
  expires_at: number;
  /** The SPC that earned the grant: a grant never outlives it, and its revocation ends the grant at once. */
  spc_serial?: string;
  spc_expires_at?: number;
  /** The gateway's session for this device (metering, the device's telemetry); kept across grant renewals. */
  session_id?: string;
  started_at?: number;
}

/** What the table drives: the WireGuard interface and the nft table (src/agent/access/dataplane.ts). */
export interface GatewayDataplane {
  addPeer(publicKey: string, overlayIp: string): Promise<void>;
  removePeer(publicKey: string, overlayIp: string): Promise<void>;
  applyRules(devices: DeviceRules[]): Promise<void>;
  forget(overlayIp: string): Promise<void>;
}

export class GrantTable {
  private readonly grants = new Map<string, Grant>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataplane: GatewayDataplane, private readonly log: AgentLog, private readonly now: () => number = Date.now) {}

  /** Runs changes one after another (admissions and revocations arrive concurrently). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  private rules(): DeviceRules[] {
    return [...this.grants.values()].map(({ device_id, overlay_ip, destinations }) => ({ device_id, overlay_ip, destinations }));
  }

  get(deviceId: string): Grant | undefined {
    return this.grants.get(deviceId);
  }

  list(): Grant[] {
    return [...this.grants.values()];
  }

  /** Adds or replaces a device's grant; the data plane changes only where the grant did. Returns it as stored. */
  admit(grant: Grant): Promise<Grant> {
    return this.serial(() => this.store(grant));
  }

  /**
   * A recheck's answer, applied only while the device still holds the grant the question was asked about: an
   * admission or removal that landed meanwhile is newer, and an older answer must not undo it (re-add a revoked
   * device, or cut one just admitted again). An undefined grant removes it. Returns whether it was applied.
   */
  settle(asked: Grant, grant: Grant | undefined, reason: string): Promise<boolean> {
    return this.serial(async () => {
      if (this.grants.get(asked.device_id) !== asked) return false;
      if (grant) await this.store(grant);
      else await this.drop(asked, reason);
      return true;
    });
  }

  private async store(grant: Grant): Promise<Grant> {
    const before = this.grants.get(grant.device_id);
    // Another device holding this overlay address (re-enrolled elsewhere) loses it first.
    for (const other of this.grants.values()) {
      if (other.device_id !== grant.device_id && other.overlay_ip === grant.overlay_ip) await this.drop(other, 'its overlay address was granted to another device');
    }
    const sameDevice = before && before.public_key === grant.public_key;
    const session = sameDevice ? { session_id: before.session_id, started_at: before.started_at } : { session_id: randomUUID(), started_at: this.now() };
    this.grants.set(grant.device_id, { ...grant, ...session });
    const rulesChanged = !before || before.overlay_ip !== grant.overlay_ip || destinationKey(before.destinations) !== destinationKey(grant.destinations);
    if (rulesChanged) await this.dataplane.applyRules(this.rules());
    if (before && (before.public_key !== grant.public_key || before.overlay_ip !== grant.overlay_ip)) {
      await this.dataplane.removePeer(before.public_key, before.overlay_ip);
      await this.dataplane.forget(before.overlay_ip);
    }
    if (!before || before.public_key !== grant.public_key || before.overlay_ip !== grant.overlay_ip) await this.dataplane.addPeer(grant.public_key, grant.overlay_ip);
    if (!before) this.log(`admitted device ${grant.device_id} at ${grant.overlay_ip} until ${new Date(grant.expires_at).toISOString()}`);
    else if (rulesChanged) this.log(`device ${grant.device_id}: destinations changed`);
    return this.grants.get(grant.device_id)!;
  }

  private async drop(grant: Grant, reason: string): Promise<void> {
    this.grants.delete(grant.device_id);
    await this.dataplane.removePeer(grant.public_key, grant.overlay_ip);
    await this.dataplane.applyRules(this.rules());
    await this.dataplane.forget(grant.overlay_ip);
    this.log(`removed device ${grant.device_id} (${grant.overlay_ip}): ${reason}`);
  }

  /** Removes a device (revoked, refused, or expired); false when it was not admitted. */
  remove(deviceId: string, reason: string): Promise<boolean> {
    return this.serial(async () => {
      const grant = this.grants.get(deviceId);
      if (!grant) return false;
      await this.drop(grant, reason);
      return true;
    });
  }

  /** Removes the grants whose time is up; returns their device ids. */
  async expire(): Promise<string[]> {
    const due = this.list().filter((g) => g.expires_at <= this.now());
    const removed: string[] = [];
    for (const grant of due) if (await this.remove(grant.device_id, 'grant expired')) removed.push(grant.device_id);
    return removed;
  }
}
