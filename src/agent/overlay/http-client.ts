/**
 * The device side of the overlay HTTP API, over node:https / node:http directly: enroll with a one-time code,
 * then fetch the Nebula config (conditional on its ETag) and send heartbeats with the device token.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

const REQUEST_TIMEOUT_MS = 30_000;
/** A config is a few KiB; anything this large is not one. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface TlsSettings {
  /** PEM file to trust for the server's certificate. */
  ca_file?: string;
  /** Accept any certificate. */
  insecure?: boolean;
}

/** The server answered, with a status the caller did not want. */
export class DeviceHttpError extends Error {
  constructor(readonly status: number, readonly detail: string | undefined) {
    super(`the server answered ${status}${detail ? `: ${detail}` : ''}`);
  }
}

/** No answer: refused, unreachable, timed out, or a TLS failure. */
export class DeviceNetworkError extends Error {
  constructor(readonly code: string | undefined, message: string, readonly untrustedCertificate: boolean) {
    super(message);
  }
}

export interface Enrollment {
  device_token: string;
  node_id: string | number;
  hostname: string;
}

export type ConfigResult = { changed: true; yaml: string; etag: string | undefined } | { changed: false };

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function tlsOptions(tls: TlsSettings): { ca?: string; rejectUnauthorized?: boolean } {
  if (tls.insecure) return { rejectUnauthorized: false };
  return tls.ca_file ? { ca: readFileSync(tls.ca_file, 'utf8') } : {};
}

function detailOf(body: string): string | undefined {
  try {
    const detail = JSON.parse(body)?.detail;
    return typeof detail === 'string' ? detail : detail === undefined ? undefined : JSON.stringify(detail);
  } catch {
    return undefined;
  }
}

function send(
  url: string,
  opts: { method: string; headers?: Record<string, string>; json?: unknown; tls: TlsSettings; signal?: AbortSignal },
): Promise<RawResponse> {
  const target = new URL(url);
  const payload = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const tls = target.protocol === 'https:' ? tlsOptions(opts.tls) : {};
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method: opts.method,
      headers: { accept: 'application/json, application/yaml', ...(payload ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      timeout: REQUEST_TIMEOUT_MS,
      signal: opts.signal,
      ...tls,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error(`response larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000}s`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') return reject(err);
      const code = err.code;
      reject(new DeviceNetworkError(code, `cannot reach ${target.origin}: ${err.message}`, !!code && CERTIFICATE_ERRORS.has(code)));
    });
    req.end(payload);
  });
}

function expectStatus(res: RawResponse, ...ok: number[]): RawResponse {
  if (!ok.includes(res.status)) throw new DeviceHttpError(res.status, detailOf(res.body));
  return res;
}

/** Redeems a one-time enrollment code for a device token. */
export async function enroll(server: string, code: string, tls: TlsSettings, signal?: AbortSignal): Promise<Enrollment> {
  const res = expectStatus(await send(`${server}/api/device/enroll`, { method: 'POST', json: { code }, tls, signal }), 200);
  let body: Partial<Enrollment>;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new DeviceHttpError(res.status, 'the answer is not JSON');
  }
  if (typeof body.device_token !== 'string' || !body.device_token || body.node_id === undefined || body.node_id === null) {
    throw new DeviceHttpError(res.status, 'the answer lacks device_token or node_id');
  }
  return { device_token: body.device_token, node_id: body.node_id, hostname: String(body.hostname ?? '') };
}

/** The device's own API, authenticated by its token. */
export class DeviceClient {
  constructor(
    private readonly server: string,
    private readonly token: string,
    private readonly tls: TlsSettings,
  ) {}

  private readonly auth = () => ({ authorization: `Bearer ${this.token}` });

  /** The config when it differs from `etag`; `{changed: false}` on 304. */
  async fetchConfig(etag: string | undefined, signal?: AbortSignal): Promise<ConfigResult> {
    const headers = { ...this.auth(), ...(etag ? { 'if-none-match': etag } : {}) };
    const res = expectStatus(await send(`${this.server}/api/device/config`, { method: 'GET', headers, tls: this.tls, signal }), 200, 304);
    if (res.status === 304) return { changed: false };
    const header = res.headers.etag;
    return { changed: true, yaml: res.body, etag: Array.isArray(header) ? header[0] : header };
  }

  async heartbeat(nodeId: string | number, signal?: AbortSignal): Promise<void> {
    const url = `${this.server}/api/nodes/${encodeURIComponent(String(nodeId))}/heartbeat`;
    expectStatus(await send(url, { method: 'POST', headers: this.auth(), json: {}, tls: this.tls, signal }), 200, 204);
  }
}
