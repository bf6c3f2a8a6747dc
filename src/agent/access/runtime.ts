/**
 * What the gateway pulls from the control plane's runtime routes (gateway bearer): the trust anchors and the SPC
 * revocation set it verifies SPCs with offline, the policy bundle's ETag (a new bundle means grants to re-ask),
 * and per-device admission grants. Each pull is conditional on the last ETag, so an idle poll costs a 304.
 */
import type { KeyObject } from 'node:crypto';
import { parseDestinations } from './destinations.js';
import type { Grant } from './grants.js';
import { AccessHttpError, type AccessClient } from './http.js';
import { usableAnchors, type TrustAnchor } from './spc.js';

const RUNTIME = '/v1/gateway/runtime';
const PULLED = ['trust-anchors', 'spc-bundle', 'policy-bundle'] as const;
type Pulled = (typeof PULLED)[number];

export type GrantAnswer = { allow: true; grant: Grant } | { allow: false; reason: string };

export class GatewayRuntime {
  private readonly etags = new Map<Pulled, string | undefined>();
  private anchorList: TrustAnchor[] = [];
  revokedSerials = new Set<string>();

  constructor(private readonly client: AccessClient, private readonly token: string, private readonly now: () => Date = () => new Date()) {}

  anchors(): Map<string, KeyObject> {
    return usableAnchors(this.anchorList, this.now());
  }

  private async pull(route: Pulled): Promise<any | undefined> {
    const res = await this.client.request('GET', `${RUNTIME}/${route}`, { token: this.token, etag: this.etags.get(route), accept: [404] });
    if (res.status === 304) return undefined;
    // No bundle published yet is a state, not an error.
    if (res.status === 404 && route === 'policy-bundle') return undefined;
    if (res.status === 404) throw new AccessHttpError(404, 'not_found', `${RUNTIME}/${route} is not served`);
    this.etags.set(route, res.etag);
    return res.body ?? {};
  }

  /** Pulls every runtime route; true when any of them changed since the last pull. */
  async refresh(): Promise<boolean> {
    const [anchors, bundle, policy] = await Promise.all(PULLED.map((route) => this.pull(route)));
    if (anchors) this.anchorList = Array.isArray(anchors.anchors) ? anchors.anchors : [];
    if (bundle) this.revokedSerials = new Set((Array.isArray(bundle.revoked) ? bundle.revoked : []).map((r: { serial: unknown }) => String(r.serial)));
    return anchors !== undefined || bundle !== undefined || policy !== undefined;
  }

  /** The control plane's verdict on a device now; a refusal carries its reason. */
  async grant(deviceId: string, publicKey: string): Promise<GrantAnswer> {
    const query = new URLSearchParams({ device_id: deviceId, public_key: publicKey });
    const res = await this.client.request('GET', `${RUNTIME}/client-admission-grant?${query}`, { token: this.token, accept: [403, 404] });
    const body = res.body ?? {};
    if (res.status !== 200 || body.allow !== true) return { allow: false, reason: String(body.reason ?? body.detail ?? body.error ?? `answered ${res.status}`) };
    if (body.public_key !== undefined && body.public_key !== publicKey) return { allow: false, reason: 'the grant is for another WireGuard key' };
    const expires = Date.parse(body.expires_at);
    if (typeof body.overlay_ip !== 'string' || Number.isNaN(expires)) return { allow: false, reason: 'the grant lacks overlay_ip or expires_at' };
    const destinations = parseDestinations(body.destinations ?? []);
    if (destinations.length === 0) return { allow: false, reason: 'the grant allows no destination' };
    return {
      allow: true,
      grant: {
        grant_id: String(body.grant_id ?? ''),
        device_id: deviceId,
        user_id: body.user_id ?? null,
        overlay_ip: body.overlay_ip,
        public_key: publicKey,
        destinations,
        expires_at: expires,
      },
    };
  }
}
