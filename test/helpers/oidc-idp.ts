import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/** The claims an IdP account carries. */
export interface IdpAccount {
  email?: string;
  email_verified?: boolean;
  groups?: string[];
  preferred_username?: string;
  name?: string;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Starts serving as an OIDC provider with one confidential client allowed these redirect URIs. */
  configure(redirectUris: string[]): Promise<void>;
  /**
   * Follows an authorization request through the IdP as `account` (login and consent given programmatically),
   * carrying the IdP's cookies, until it redirects to a URL starting with `until`; returns that URL.
   */
  login(authorizeUrl: string, account: string, until: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real OpenID Provider (panva's oidc-provider) on 127.0.0.1 at a random port. Interactions are answered by a
 * handler that logs in the account the test names and grants whatever is asked, so no HTML form is involved.
 */
export async function startTestIdp(accounts: Record<string, IdpAccount>, clientSecret: string): Promise<TestIdp> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'rampart';
  let provider: Provider | undefined;
  let nextAccount = '';

  async function interact(req: IncomingMessage, res: ServerResponse) {
    const p = provider!;
    const details = await p.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      return p.interactionFinished(req, res, { login: { accountId: nextAccount } }, { mergeWithLastSubmission: false });
    }
    const grant = new p.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    return p.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!provider) return void res.writeHead(503).end();
    if (req.url?.startsWith('/interaction/')) {
      return void interact(req, res).catch((err) => res.writeHead(500).end(String(err)));
    }
    return provider.callback()(req, res);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    async configure(redirectUris) {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      provider = new Provider(issuer, {
        clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: redirectUris, response_types: ['code'], grant_types: ['authorization_code'] }],
        jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test', alg: 'RS256', use: 'sig' }] },
        cookies: { keys: ['test-idp-cookie-key'] },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username', 'name'], groups: ['groups'] },
        findAccount: (_ctx, id) => (accounts[id] ? { accountId: id, claims: () => ({ sub: id, ...accounts[id] }) } : undefined),
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
        features: { devInteractions: { enabled: false } },
        ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
      });
    },
    async login(authorizeUrl, account, until) {
      nextAccount = account;
      const jar = new Map<string, string>();
      let url = authorizeUrl;
      for (let hop = 0; hop < 12; hop++) {
        const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
        for (const set of res.headers.getSetCookie()) {
          const [pair] = set.split(';');
          const eq = pair.indexOf('=');
          const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1)];
          if (value === '' || /expires=Thu, 01 Jan 1970/i.test(set)) jar.delete(name);
          else jar.set(name, value);
        }
        const location = res.headers.get('location');
        if (!location) throw new Error(`the IdP answered ${res.status} without a redirect: ${await res.text()}`);
        url = new URL(location, url).href;
        if (url.startsWith(until)) return url;
      }
      throw new Error('the IdP never redirected back');
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
