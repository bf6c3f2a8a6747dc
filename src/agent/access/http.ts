/**
 * The access agents' HTTP client for the control plane's /v1 routes (JSON in, JSON out, errors as
 * {"error", "detail"}), over node:http / node:https so a self-signed server can be trusted with --ca-file.
 * Conditional GETs return `{ status: 304 }` instead of throwing, so pull loops can keep their ETag.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface TlsSettings {
  ca_file?: string;
  insecure?: boolean;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/** The server answered with a status the caller did not want; `code` is the envelope's error code. */
export class AccessHttpError extends Error {
  constructor(readonly status: number, readonly code: string | undefined, readonly detail: string | undefined) {
    super(`the server answered ${status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

/** No answer at all: refused, unreachable, timed out, TLS. */
export class AccessNetworkError extends Error {}

export interface JsonResponse<T = any> {
  status: number;
  etag: string | undefined;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  etag?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Statuses returned rather than thrown (2xx always are). */
  accept?: number[];
}

function parse(text: string): any {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export class AccessClient {
  private readonly ca: string | undefined;

  constructor(readonly server: string, private readonly tls: TlsSettings = {}) {
    this.ca = tls.ca_file ? readFileSync(tls.ca_file, 'utf8') : undefined;
  }

  request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<JsonResponse<T>> {
    const target = new URL(this.server + path);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.etag) headers['if-none-match'] = opts.etag;
    const https = target.protocol === 'https:';
    const tls = https ? (this.tls.insecure ? { rejectUnauthorized: false } : this.ca ? { ca: this.ca } : {}) : {};
    const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(target, { method, headers, timeout, signal: opts.signal, ...tls }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode!;
          const body = parse(Buffer.concat(chunks).toString('utf8'));
          const etag = Array.isArray(res.headers.etag) ? res.headers.etag[0] : res.headers.etag;
          if ((status >= 200 && status < 300) || status === 304 || opts.accept?.includes(status)) return resolve({ status, etag, body });
          const detail = typeof body?.detail === 'string' ? body.detail : body?.detail === undefined ? undefined : JSON.stringify(body.detail);
          reject(new AccessHttpError(status, typeof body?.error === 'string' ? body.error : undefined, detail));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout / 1000}s`)));
      req.on('error', (err) => {
        if (err.name === 'AbortError') return reject(err);
        reject(err instanceof AccessHttpError ? err : new AccessNetworkError(`cannot reach ${target.origin}: ${err.message}`));
      });
      req.end(payload);
    });
  }
}
