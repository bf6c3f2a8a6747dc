/**
 * The gateway's admission endpoint, POST /v1/admit {spc, device_id, public_key}: the SPC is checked offline, the
 * control plane's grant is asked for, and an allowed device becomes a peer with its rules before the answer
 * {ok, expires_at, overlay_ip, gateway_public_key, destinations} goes back. Errors use the control plane's
 * envelope {"error", "detail"}: 422 bad input, 403 refused, 503 control plane unreachable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AgentLog } from '../overlay/log.js';
import { DestinationError } from './destinations.js';
import type { GrantTable } from './grants.js';
import { AccessHttpError } from './http.js';
import { isWireguardKey } from './keys.js';
import type { GatewayRuntime } from './runtime.js';
import { verifySpc } from './spc.js';

const MAX_BODY_BYTES = 64 * 1024;

export interface AdmissionDeps {
  runtime: GatewayRuntime;
  grants: GrantTable;
  gatewayPublicKey: string;
  gatewayId: string;
  log: AgentLog;
  now?: () => Date;
}

class Refusal extends Error {
  constructor(readonly status: number, readonly code: string, detail: string) {
    super(detail);
  }
}

function readJson(req: IncomingMessage): Promise<any> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Refusal(413, 'bad_request', `the body is larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new Refusal(400, 'bad_request', 'the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Admits one device; throws a Refusal for anything but success. */
export async function admit(deps: AdmissionDeps, body: any): Promise<Record<string, unknown>> {
  const { spc, device_id, public_key } = body ?? {};
  if (typeof device_id !== 'string' || !device_id) throw new Refusal(422, 'validation_error', 'device_id is required');
  if (!isWireguardKey(public_key)) throw new Refusal(422, 'validation_error', 'public_key must be a base64 WireGuard key');
  if (typeof spc !== 'string') throw new Refusal(422, 'validation_error', 'spc is required');
  const check = () => verifySpc(spc, { anchors: deps.runtime.anchors(), revokedSerials: deps.runtime.revokedSerials, now: deps.now?.() ?? new Date(), device_id, public_key });
  let verdict = check();
  // An unknown kid may be a signer rotated since the last pull (or no pull yet): pull once and look again.
  if (!verdict.valid && verdict.reason === 'unknown_kid' && (await deps.runtime.refresh().catch(() => false))) verdict = check();
  if (!verdict.valid) throw new Refusal(403, 'forbidden', `SPC ${verdict.reason}: ${verdict.detail}`);
  let answer;
  try {
    answer = await deps.runtime.grant(device_id, public_key);
  } catch (err) {
    if (err instanceof DestinationError) throw new Refusal(502, 'bad_gateway', `the grant's destinations are unusable: ${err.message}`);
    if (err instanceof AccessHttpError && err.status < 500) throw new Refusal(502, 'bad_gateway', `the control plane refused the grant request: ${err.message}`);
    throw new Refusal(503, 'unavailable', `the control plane cannot be asked now: ${(err as Error).message}`);
  }
  if (!answer.allow) throw new Refusal(403, 'forbidden', `not admitted: ${answer.reason}`);
  // The grant never outlives the SPC that earned it.
  const spcExpiry = verdict.claims.exp * 1000;
  const grant = { ...answer.grant, expires_at: Math.min(answer.grant.expires_at, spcExpiry), spc_serial: verdict.claims.serial, spc_expires_at: spcExpiry };
  const stored = await deps.grants.admit(grant);
  return {
    ok: true,
    device_id,
    session_id: stored.session_id,
    gateway_id: deps.gatewayId,
    overlay_ip: grant.overlay_ip,
    expires_at: new Date(grant.expires_at).toISOString(),
    gateway_public_key: deps.gatewayPublicKey,
    destinations: grant.destinations,
  };
}

export function createAdmissionServer(deps: AdmissionDeps): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/admit') return send(res, 404, { error: 'not_found', detail: 'only POST /v1/admit is served here' });
    if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed', detail: 'POST /v1/admit' });
    readJson(req)
      .then((body) => admit(deps, body))
      .then((answer) => send(res, 200, answer))
      .catch((err) => {
        if (err instanceof Refusal) return send(res, err.status, { error: err.code, detail: err.message });
        deps.log(`admission failed: ${(err as Error).message}`);
        send(res, 503, { error: 'unavailable', detail: 'the gateway could not apply the grant; try again' });
      });
  });
}
