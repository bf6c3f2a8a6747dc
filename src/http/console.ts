import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { installRoot } from '../install-root.js';

/** Where `npm run build:ui` writes the console (ui/dist at the repository root). */
export const DEFAULT_CONSOLE_DIR = join(installRoot, 'ui', 'dist');

/** Paths that belong to an API or a probe: an unknown one is the API's JSON 404, never the console. */
const API_PREFIXES = ['/api', '/v1'];
const API_EXACT = new Set(['/health', '/ready', '/healthz', '/readyz', '/metrics']);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.txt', '.map']);

/**
 * The console's own CSP. Mantine and the chart library set inline styles (a <style> element for the theme's CSS
 * variables), so styles may be inline; scripts stay 'self' only, which is what stops injected code.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";

/** Built files (under assets/) carry a content hash in their name: they never change, so they may be cached for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  cache: string;
}

export interface ConsoleAssets {
  /** Answers a GET/HEAD nobody else declared; false when the path is an API's (its JSON 404 follows). */
  serve(req: FastifyRequest, reply: FastifyReply): boolean;
}

/** Whether an unmatched path is the console's: everything but the APIs, and /admin/* (ZTNA's pages) for browsers. */
export function isConsolePath(path: string, accept: string | undefined): boolean {
  if (API_EXACT.has(path)) return false;
  if (API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return false;
  // /admin/* is the access surface's prefix too: API clients keep its JSON 404, browsers get the console.
  if (path === '/admin' || path.startsWith('/admin/')) return (accept ?? '').includes('text/html');
  return true;
}

/**
 * Serves the built console from `dir`: files as they are, every other console path the index.html (client-side
 * routes). The files are read once into memory (the build is a few MB); a console built after the server started
 * is picked up on the next request, so `npm run build:ui` needs no restart.
 */
export function consoleAssets(dir: string = DEFAULT_CONSOLE_DIR): ConsoleAssets {
  let files: Map<string, Asset> | null = null;
  const load = () => (files ??= existsSync(join(dir, 'index.html')) ? readAll(dir) : null);
  return {
    serve(req, reply) {
      const path = decodePath(req.url.split('?')[0]);
      if (path === null || !isConsolePath(path, req.headers.accept)) return false;
      const assets = load();
      if (!assets && looksLikeFile(path)) return false;
      reply.header('content-security-policy', CONSOLE_CSP);
      if (!assets) {
        reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store');
        reply.send(NOT_BUILT);
        return true;
      }
      const file = assets.get(path);
      // A missing file (an old tab's hashed asset after an upgrade, /package.json) is the usual 404, not the
      // index page in its place: only extension-less paths are the console's client-side routes.
      if (!file && looksLikeFile(path)) return false;
      send(req, reply, file ?? assets.get('/index.html')!);
      return true;
    },
  };
}

const NOT_BUILT = [
  'The Rampart console is not built.',
  '',
  'Build it with `npm run build:ui` (npm ci runs it for you) and reload this page.',
  'The APIs are served as usual: /api/v1, /api, /v1 (documentation at /api/docs).',
  '',
].join('\n');

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset) {
  reply.code(200).type(asset.type).header('cache-control', asset.cache).header('vary', 'accept-encoding');
  const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (gzip) reply.header('content-encoding', 'gzip');
  reply.send(gzip ? asset.gzip : asset.body);
}

const looksLikeFile = (path: string) => /\.[A-Za-z0-9]+$/.test(path.slice(path.lastIndexOf('/') + 1));

function decodePath(raw: string): string | null {
  try {
    const path = decodeURIComponent(raw);
    return path.includes('\0') || path.split('/').includes('..') ? null : path;
  } catch {
    return null;
  }
}

function readAll(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const file of walk(dir)) {
    const urlPath = `/${relative(dir, file).split(sep).join('/')}`;
    const ext = extname(file);
    const body = readFileSync(file);
    // Compressed once at load: the console's JS is most of a first visit, and phones feel every kilobyte.
    const gzip = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
    out.set(urlPath, {
      body,
      gzip,
      type: TYPES[ext] ?? 'application/octet-stream',
      cache: urlPath.startsWith('/assets/') ? IMMUTABLE : 'no-cache',
    });
  }
  return out;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}
