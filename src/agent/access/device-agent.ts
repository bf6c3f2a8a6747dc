/**
 * `rampart agent device`: enrol once (a token, or an OIDC identity), then keep a tunnel to a gateway:
 *
 * - the WireGuard key pair is made here (keys.ts); only the public key is sent;
 * - an SPC (from enrollment, then POST /v1/spc/issue) is presented to a gateway's admission endpoint
 *   (pools.ts picks it); once admitted the interface gets the gateway as its peer and routes to the destinations;
 * - posture is asserted every posture interval; a verdict that turns compliant again fetches a new SPC (a failed
 *   one revoked the old) and re-admits; the SPC is renewed and the admission repeated before either expires;
 * - telemetry reports the tunnel's counters.
 *
 * A 401 means the device's credential is gone (the device revoked): the tunnel is taken down and the agent exits 2.
 */
import { platform as osPlatform, hostname, release } from 'node:os';
import { backoffDelayMs, type BackoffOptions } from '../overlay/backoff.js';
import type { AgentLog } from '../overlay/log.js';
import { versionInfo } from '../../version.js';
import { localRunner, type CommandRunner } from './exec.js';
import { AccessClient, AccessHttpError, type TlsSettings } from './http.js';
import { normalizeServerUrl } from '../common/server-url.js';
import { generateWireguardKeys, writePrivateKeyFile } from './keys.js';
import { sleep } from '../common/sleep.js';
import { tunnelStale } from './liveness.js';
import { oidcSignIn } from './oidc-login.js';
import { gatewayCandidates, type GatewayEndpoint } from './pools.js';
import { collectFacts } from './posture.js';
import { readSpcClaims } from './spc.js';
import { ensureStateDir, keyFile, readAgentState, writeAgentState, type DeviceState } from './state.js';
import { WireguardInterface } from './wireguard.js';
import { checkForUpdate, UpdateRefused } from './update.js';

export const DEVICE_TOKEN_REJECTED = 'the device credential was rejected: the device was revoked or re-enrolled; enroll again';
const TICK_MS = 250;
const LIVENESS_CHECK_MS = 10_000;
const KEEPALIVE_S = 25;

/** The control plane no longer knows this device: 401, or 403 saying it was revoked (revocation is terminal). */
const credentialGone = (err: unknown) =>
  err instanceof AccessHttpError && (err.status === 401 || (err.status === 403 && /\brevoked\b/.test(err.detail ?? '') && /\bdevice\b/i.test(err.detail ?? '')));

export interface DeviceEnrollOptions extends TlsSettings {
  server: string;
  stateDir: string;
  name?: string;
  /** An enrollment token, or the OIDC sign-in of its user (oidc-login.ts). */
  token?: string;
  oidc?: { provider_id: string; redirect_uri: string; say: (line: string) => void; input?: NodeJS.ReadableStream };
}

export async function enrollDevice(opts: DeviceEnrollOptions): Promise<DeviceState> {
  const server = normalizeServerUrl(opts.server);
  const client = new AccessClient(server, opts);
  const keys = generateWireguardKeys();
  // The key first: an enrollment whose key could not be kept would leave a device nobody can bring up.
  ensureStateDir(opts.stateDir);
  writePrivateKeyFile(keyFile(opts.stateDir), keys.private_key);
  const device = { name: opts.name ?? hostname(), platform: osPlatform() === 'darwin' ? 'macos' : osPlatform() === 'win32' ? 'windows' : 'linux', os_version: release(), client_version: versionInfo.rampart };
  const res = opts.oidc
    ? await client.request('POST', '/v1/enroll/oidc', { body: { ...(await oidcSignIn(client, opts.oidc.provider_id, opts.oidc.redirect_uri, opts.oidc.say, opts.oidc.input)), public_key: keys.public_key, device } })
    : await client.request('POST', '/v1/enroll', { body: { token: opts.token, public_key: keys.public_key, device } });
  const { device_id, device_token, overlay_ip, spc } = res.body ?? {};
  if (typeof device_id !== 'string' || typeof device_token !== 'string' || typeof overlay_ip !== 'string') {
    throw new AccessHttpError(res.status, undefined, 'the answer lacks device_id, device_token or overlay_ip');
  }
  // The SPC comes as the issue answer ({spc, serial, expires_at}) or as the bare JWS.
  const jws = typeof spc === 'string' ? spc : typeof spc?.spc === 'string' ? spc.spc : undefined;
  const state: DeviceState = { server, device_id, device_token, overlay_ip, public_key: keys.public_key, spc: jws, ca_file: opts.ca_file, insecure: opts.insecure };
  // The update-signing key, pinned now: manifests must be signed by it (agent update --check).
  if (typeof res.body.update_public_key === 'string') state.update_public_key = res.body.update_public_key;
  writeAgentState(opts.stateDir, 'device', state);
  return state;
}

export interface DeviceRunOptions {
  stateDir: string;
  ifname: string;
  postureIntervalMs: number;
  telemetryIntervalMs: number;
  /** How often the bundle's digest is checked (a cheap 304); a new bundle means asking for admission again. */
  policyIntervalMs: number;
  postureFile?: string;
  log: AgentLog;
  signal: AbortSignal;
  runner?: CommandRunner;
  wireguardGo?: string;
  backoff?: BackoffOptions;
  /** How often the signed update manifest is checked (0: never); a verified newer package is staged and run returns 3. */
  updateIntervalMs?: number;
  updateChannel?: string;
}

/** run's exit code after staging a verified update: the supervisor restarts the agent on the new package. */
export const EXIT_UPDATED = 3;

interface Admission {
  gateway: GatewayEndpoint;
  session_id: string | undefined;
  expires_at: number;
  admitted_at: number;
  spc: string;
  destinations: string[];
}

/** Time to renew: a third of the lifetime left (at least 10 s before the end). */
const dueAt = (start: number, end: number) => end - Math.max(10_000, (end - start) / 3);

export async function runDeviceAgent(o: DeviceRunOptions): Promise<0 | 2 | typeof EXIT_UPDATED> {
  const state = readAgentState(o.stateDir, 'device');
  const client = new AccessClient(state.server, state);
  const token = state.device_token;
  const runner = o.runner ?? localRunner;
  const wg = new WireguardInterface({ runner, ifname: o.ifname, privateKeyFile: keyFile(o.stateDir), wireguardGo: o.wireguardGo, log: o.log });
  const call = (method: string, path: string, body?: unknown, accept?: number[], etag?: string) => client.request(method, path, { token, body, accept, etag, signal: o.signal });

  let spc = state.spc;
  let admission: Admission | undefined;
  let verdict: string | undefined;
  let nextPosture = 0;
  let nextTelemetry = Date.now() + o.telemetryIntervalMs;
  let failures = 0;
  let notBefore = 0;
  let digestEtag: string | undefined;
  let nextLivenessCheck = 0;

  /** A tunnel nobody answers on any more is asked for again (liveness.ts). */
  async function checkLiveness(now: number): Promise<void> {
    if (!admission || now < nextLivenessCheck) return;
    nextLivenessCheck = now + LIVENESS_CHECK_MS;
    const peer = (await wg.peers()).find((p) => p.public_key === admission!.gateway.public_key);
    if (peer && !tunnelStale(now, admission.admitted_at, peer.latest_handshake)) return;
    o.log(`no WireGuard handshake with gateway ${admission.gateway.gateway_id || admission.gateway.host} lately; asking for admission again`);
    admission = undefined;
  }
  let nextPolicyCheck = 0;
  let nextUpdateCheck = o.updateIntervalMs ? 0 : Infinity;

  /** True once a verified newer package is staged; a refused one is logged and nothing changes. */
  async function followUpdates(): Promise<boolean> {
    try {
      const r = await checkForUpdate({ stateDir: o.stateDir, channel: o.updateChannel });
      if (r.status !== 'applied') return false;
      o.log(`update ${r.previous} -> ${r.version} verified and staged at ${r.path}; exiting for the supervisor to restart`);
      return true;
    } catch (err) {
      if (err instanceof UpdateRefused) o.log(`update refused, nothing applied: ${err.message}`);
      else if (!(err instanceof AccessHttpError && err.status === 404)) o.log(`update check failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** A new bundle may grant (or take) destinations: ask for admission again now, whatever the backoff said. */
  async function followPolicy(): Promise<void> {
    const res = await call('GET', '/v1/policy/digest', undefined, [404], digestEtag);
    if (res.status !== 200) return;
    const changed = digestEtag !== undefined && res.etag !== digestEtag;
    digestEtag = res.etag;
    if (!changed) return;
    o.log(`policy bundle changed (serial ${res.body?.serial ?? '?'}); asking for admission again`);
    if (admission) admission = { ...admission, expires_at: 0 };
    notBefore = 0;
    failures = 0;
  }

  async function assertPosture(): Promise<void> {
    const res = await call('POST', '/v1/posture/assertion', { device_id: state.device_id, collected_at: new Date().toISOString(), facts: collectFacts(o.postureFile) });
    const now = String(res.body?.verdict ?? 'unknown');
    if (now !== verdict) o.log(`posture ${now}${res.body?.failed_checks?.length ? ` (failed: ${res.body.failed_checks.join(', ')})` : ''}`);
    // Compliant again after a failure: the failure revoked the SPC, so a new one is needed before re-admission.
    if (verdict === 'noncompliant' && now !== 'noncompliant') (spc = undefined), (admission = undefined);
    verdict = now;
  }

  async function renewSpc(): Promise<void> {
    const res = await call('POST', '/v1/spc/issue', { device_id: state.device_id });
    if (typeof res.body?.spc !== 'string') throw new Error('the SPC answer has no spc');
    spc = res.body.spc;
    writeAgentState(o.stateDir, 'device', { ...state, spc });
    o.log(`SPC ${res.body.serial ?? ''} issued, valid until ${res.body.expires_at ?? '?'}`);
  }

  async function admit(): Promise<void> {
    const pools = await call('GET', '/v1/gateway/pools');
    const candidates = gatewayCandidates(pools.body);
    if (candidates.length === 0) throw new Error('no gateway is listed in any pool');
    let lastError: Error | undefined;
    for (const gateway of candidates) {
      try {
        return await admitAt(gateway);
      } catch (err) {
        lastError = err as Error;
        // A refused SPC is refused everywhere: fetch a new one rather than trying the other gateways.
        if (err instanceof AccessHttpError && err.status === 403 && /SPC (revoked|expired)|spc_invalid|spc_missing/.test(err.detail ?? '')) spc = undefined;
        if (err instanceof AccessHttpError && err.status === 403) break;
      }
    }
    throw lastError!;
  }

  async function admitAt(gateway: GatewayEndpoint): Promise<void> {
    const admissionClient = new AccessClient(new URL(gateway.admission_url).origin, {});
    const res = await admissionClient.request('POST', new URL(gateway.admission_url).pathname, { body: { spc, device_id: state.device_id, public_key: state.public_key }, signal: o.signal });
    const expires = Date.parse(res.body?.expires_at);
    if (res.body?.ok !== true || Number.isNaN(expires)) throw new Error(`the gateway's answer is not an admission: ${JSON.stringify(res.body)}`);
    const granted = (Array.isArray(res.body.destinations) ? res.body.destinations : []).map((d: { cidr?: unknown }) => d?.cidr).filter((c: unknown): c is string => typeof c === 'string');
    const destinations = [...new Set([...gateway.destinations, ...granted])].sort();
    if (admission && admission.gateway.public_key !== gateway.public_key) await wg.removePeer(admission.gateway.public_key).catch(() => {});
    // A new session means the gateway (re)added us as a fresh peer: our side must forget its old WireGuard session
    // too, or it keeps sending under keys the gateway no longer has until a rekey timeout (~15 s) runs out.
    const sessionId = typeof res.body.session_id === 'string' ? res.body.session_id : undefined;
    if (!admission || admission.session_id !== sessionId) await wg.removePeer(gateway.public_key).catch(() => {});
    await wg.setPeer({ public_key: gateway.public_key, allowed_ips: destinations, endpoint: `${gateway.host.includes(':') ? `[${gateway.host}]` : gateway.host}:${gateway.port}`, keepalive_s: KEEPALIVE_S });
    for (const cidr of destinations) await wg.replaceRoute(cidr);
    const first = !admission || admission.gateway.public_key !== gateway.public_key || admission.destinations.join() !== destinations.join();
    admission = { gateway, session_id: sessionId, expires_at: expires, admitted_at: Date.now(), spc: spc!, destinations };
    if (first) o.log(`admitted by gateway ${gateway.gateway_id || gateway.host} until ${res.body.expires_at}; reaching ${destinations.join(', ')}`);
  }

  async function telemetry(): Promise<void> {
    // The session is the gateway's: without its id (an older gateway) there is nothing to report on.
    if (!admission?.session_id || !admission.gateway.gateway_id) return;
    const peer = (await wg.peers()).find((p) => p.public_key === admission!.gateway.public_key);
    await call('POST', '/v1/telemetry/session', {
      session_id: admission.session_id,
      gateway_id: admission.gateway.gateway_id,
      bytes_rx: peer?.rx_bytes ?? 0,
      bytes_tx: peer?.tx_bytes ?? 0,
    });
  }

  /** One pass: whatever is due, in order. */
  async function step(): Promise<void> {
    const now = Date.now();
    if (now >= nextPosture) {
      await assertPosture();
      nextPosture = now + o.postureIntervalMs;
    }
    if (verdict === 'noncompliant') return;
    const claims = spc ? readSpcClaims(spc) : undefined;
    if (!spc || !claims || now >= dueAt((claims.nbf ?? claims.exp - 3600) * 1000, claims.exp * 1000)) await renewSpc();
    await checkLiveness(now);
    if (!admission || admission.spc !== spc || now >= dueAt(admission.admitted_at, admission.expires_at)) await admit();
    if (now >= nextTelemetry) {
      nextTelemetry = now + o.telemetryIntervalMs;
      await telemetry();
    }
  }

  let rejected = false;
  let updated = false;
  try {
    await wg.up();
    await wg.addAddress(`${state.overlay_ip}/32`);
    o.log(`device ${state.device_id} at ${state.overlay_ip} on ${o.ifname}`);
    while (!o.signal.aborted) {
      if (Date.now() >= nextUpdateCheck) {
        nextUpdateCheck = Date.now() + o.updateIntervalMs!;
        if ((updated = await followUpdates())) break;
      }
      if (Date.now() >= nextPolicyCheck) {
        nextPolicyCheck = Date.now() + o.policyIntervalMs;
        try {
          await followPolicy();
        } catch (err) {
          if (credentialGone(err)) {
            rejected = true;
            break;
          }
          // The step below reports an unreachable control plane; one message is enough.
        }
      }
      if (Date.now() >= notBefore) {
        try {
          await step();
          if (failures) o.log('back in line with the control plane');
          failures = 0;
        } catch (err) {
          if (o.signal.aborted) break;
          if (credentialGone(err)) {
            rejected = true;
            break;
          }
          const delay = backoffDelayMs(++failures, o.backoff ?? { baseMs: 1_000, capMs: 60_000 });
          notBefore = Date.now() + delay;
          o.log(`${(err as Error).message}; retrying in ${(delay / 1000).toFixed(1)}s`);
        }
      }
      await sleep(TICK_MS, o.signal);
    }
  } finally {
    await wg.down();
  }
  if (rejected) o.log(DEVICE_TOKEN_REJECTED);
  return rejected ? 2 : updated ? EXIT_UPDATED : 0;
}
