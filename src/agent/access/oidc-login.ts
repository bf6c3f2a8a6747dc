/**
 * The device's own OIDC sign-in for POST /v1/enroll/oidc: an authorization-code request with PKCE (RFC 7636) for
 * a native app (RFC 8252): the user opens the printed URL in any browser and signs in at the IdP, which redirects
 * to a loopback address this agent listens on. Where the browser runs on another machine, pasting the address it
 * was redirected to (even one that failed to load) on stdin finishes the same way. The code and its verifier go
 * to Rampart, which redeems them with the IdP: the agent never holds an IdP token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import type { AccessClient } from './http.js';

export interface OidcCode {
  provider_id: string;
  code: string;
  code_verifier: string;
  redirect_uri: string;
  nonce: string;
}

interface Provider {
  id: string;
  name?: string;
  authorize_url?: string | null;
  client_id?: string;
  scopes?: string[];
}

export class OidcLoginError extends Error {}

/** The authorization request for a provider, with its one-time secrets. */
export function authorizationRequest(provider: Provider, redirectUri: string) {
  if (!provider.authorize_url || !provider.client_id) throw new OidcLoginError(`provider ${provider.id} lists no authorize_url or client_id`);
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const url = new URL(provider.authorize_url);
  const scopes = provider.scopes?.length ? provider.scopes : ['openid', 'email', 'profile'];
  for (const [key, value] of Object.entries({
    response_type: 'code', client_id: provider.client_id, redirect_uri: redirectUri, scope: scopes.join(' '), state, nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })) url.searchParams.set(key, value);
  return { url: url.href, verifier, state, nonce };
}

/** The code from a redirect address, checked against the request's state. */
export function codeFromRedirect(address: string, redirectUri: string, state: string): string {
  let url: URL;
  try {
    url = new URL(address.trim(), redirectUri);
  } catch {
    throw new OidcLoginError('that is not the address the browser was sent to');
  }
  const error = url.searchParams.get('error');
  if (error) throw new OidcLoginError(`the identity provider refused: ${error} ${url.searchParams.get('error_description') ?? ''}`.trim());
  if (url.searchParams.get('state') !== state) throw new OidcLoginError('the redirect does not answer this sign-in (state differs)');
  const code = url.searchParams.get('code');
  if (!code) throw new OidcLoginError('the redirect carries no code');
  return code;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** Where the sign-in ends: the code from the redirect, and whether the loopback listener is up to receive it. */
interface RedirectWait {
  code: Promise<string>;
  listening: boolean;
}

/**
 * The loopback listener for the IdP's redirect, resolved once it listens (undefined when its port is taken: a
 * pasted address still works). It must listen before the sign-in URL is shown, or a browser that comes back at
 * once finds nothing there.
 */
function listenLoopback(target: URL, settle: (address: string) => void): Promise<Server | undefined> {
  const server = createServer((req, res) => {
    if (!req.url?.startsWith(target.pathname)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Signed in: you can close this window and return to the terminal.\n');
    settle(req.url);
  });
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(Number(target.port || 80), target.hostname.replace(/^\[|\]$/g, ''), () => resolve(server));
  });
}

/** Readies both ways back (the loopback listener, a pasted address on stdin); the code comes by whichever is first. */
async function awaitRedirect(redirectUri: string, state: string, input: NodeJS.ReadableStream): Promise<RedirectWait> {
  const target = new URL(redirectUri);
  let settle!: (address: string) => void;
  const code = new Promise<string>((resolve, reject) => {
    settle = (address: string) => {
      try {
        resolve(codeFromRedirect(address, redirectUri, state));
      } catch (err) {
        reject(err);
      }
    };
  });
  const lines = createInterface({ input });
  lines.on('line', (line) => line.trim() && settle(line));
  const server = LOOPBACK_HOSTS.includes(target.hostname) ? await listenLoopback(target, settle) : undefined;
  const done = () => {
    lines.close();
    // Let the process end once enrolled: nothing more is read.
    (input as NodeJS.ReadStream).pause?.();
    server?.close();
  };
  return { code: code.finally(done), listening: server !== undefined };
}

/** A provider configured by its issuer alone: its authorization endpoint from the issuer's discovery document. */
async function discoverAuthorizeUrl(provider: Provider & { issuer?: string }): Promise<string> {
  if (!provider.issuer) throw new OidcLoginError(`provider ${provider.id} lists neither authorize_url nor issuer`);
  const url = `${provider.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    const endpoint = (await res.json())?.authorization_endpoint;
    if (typeof endpoint !== 'string') throw new Error('no authorization_endpoint in it');
    return endpoint;
  } catch (err) {
    throw new OidcLoginError(`cannot read ${url}: ${(err as Error).message}`);
  }
}

export async function oidcSignIn(client: AccessClient, providerId: string, redirectUri: string, say: (line: string) => void, input: NodeJS.ReadableStream = process.stdin): Promise<OidcCode> {
  const res = await client.request('GET', '/v1/mobile/auth/oidc/providers');
  const providers: Provider[] = Array.isArray(res.body) ? res.body : [];
  const listed = providers.find((p) => p.id === providerId);
  if (!listed) throw new OidcLoginError(`no enabled OIDC provider ${providerId} (known: ${providers.map((p) => `${p.id} ${p.name ?? ''}`.trim()).join(', ') || 'none'})`);
  const provider = listed.authorize_url ? listed : { ...listed, authorize_url: await discoverAuthorizeUrl(listed) };
  const request = authorizationRequest(provider, redirectUri);
  const redirect = await awaitRedirect(redirectUri, request.state, input);
  const back = redirect.listening ? 'then come back here (or paste the address the browser was sent to)' : `then paste here the address the browser was sent to (nothing listens on ${redirectUri} here)`;
  say(`Sign in with ${provider.name ?? 'your identity provider'} to enrol this device: open\n${request.url}\n${back}.`);
  const code = await redirect.code;
  return { provider_id: providerId, code, code_verifier: request.verifier, redirect_uri: redirectUri, nonce: request.nonce };
}
