/**
 * The baseline: a bare node:http (or node:https) server answering one path with a fixed body, nothing else.
 * Run as its own process by the harness:
 *   node --import tsx bench/lib/bare-server.ts
 * with env BARE_PORT, BARE_PATH, BARE_BODY, BARE_CONTENT_TYPE and, for HTTPS, BARE_CERT_FILE and BARE_KEY_FILE;
 * BARE_STATUS (default 200) and BARE_HEADERS (JSON) shape other answers, such as a 304 with its ETag.
 * BARE_PATH=* answers every method and path alike (the baseline of a mixed load).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`bare-server: ${name} is required`);
  return value;
};

const port = Number(env('BARE_PORT'));
const path = env('BARE_PATH');
const body = Buffer.from(env('BARE_BODY'));
const contentType = env('BARE_CONTENT_TYPE');
const certFile = process.env.BARE_CERT_FILE;
const keyFile = process.env.BARE_KEY_FILE;
const status = Number(process.env.BARE_STATUS ?? 200);
const extraHeaders = JSON.parse(process.env.BARE_HEADERS ?? '{}') as Record<string, string>;

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (path === '*' || (req.method === 'GET' && req.url === path)) {
    // Like a real conditional GET: 304 only when the client names the version it has.
    if (status === 304 && req.headers['if-none-match']) {
      res.writeHead(304, extraHeaders);
      res.end();
      return;
    }
    res.writeHead(status === 304 ? 200 : status, { ...extraHeaders, 'content-type': contentType, 'content-length': body.length });
    res.end(body);
  } else {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  }
}

const server =
  certFile && keyFile
    ? createHttpsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, handle)
    : createHttpServer(handle);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
