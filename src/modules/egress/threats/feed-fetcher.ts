import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

export interface FeedFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** PEM certificates trusted beside the system's roots (a feed mirror behind an internal CA). */
  extraCaPem?: string;
  signal?: AbortSignal;
}

/**
 * GETs a feed's payload as text. Certificates are verified against the system roots plus the extra CA; a non-2xx
 * status, a body over maxBytes, or no complete answer within timeoutMs is an error naming the URL.
 */
export function fetchFeed(url: string, opts: FeedFetchOptions): Promise<string> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.reject(new Error(`fetch ${url}: not a URL`));
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return Promise.reject(new Error(`fetch ${url}: only https and http URLs are fetched`));
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const ca = target.protocol === 'https:' && opts.extraCaPem ? { ca: [...rootCertificates, opts.extraCaPem] } : {};

  return new Promise((resolve, reject) => {
    const fail = (message: string) => reject(new Error(`fetch ${url}: ${message}`));
    const req = request(target, { method: 'GET', headers: { accept: '*/*', 'user-agent': 'rampart-threat-intel' }, signal: opts.signal, ...ca }, (res) => {
      if (!res.statusCode || res.statusCode < 200 || res.statusCode > 299) {
        res.resume();
        return fail(`http ${res.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) return req.destroy(new Error(`payload is larger than ${opts.maxBytes} bytes`));
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => fail(err.message));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err) => fail(err.message));
    req.end();
  });
}
