/**
 * The device agent's OIDC sign-in (src/agent/access/oidc-login.ts) against a control plane that lists one provider:
 * the loopback listener is up before the sign-in URL is shown, so a browser that comes back at once is answered;
 * with the port taken, the agent says to paste the address, and a pasted one finishes the sign-in.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { AccessClient } from '../../src/agent/access/http.js';
import { oidcSignIn } from '../../src/agent/access/oidc-login.js';

const PROVIDER = { id: 'p1', name: 'corp', authorize_url: 'http://idp.example.test/auth', client_id: 'rampart', scopes: ['openid'] };

let controlPlane: Server;
let client: AccessClient;

async function listening(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

before(async () => {
  controlPlane = createServer((req, res) => {
    if (req.url !== '/v1/mobile/auth/oidc/providers') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([PROVIDER]));
  });
  client = new AccessClient(`http://127.0.0.1:${await listening(controlPlane)}`);
});

after(() => controlPlane.close());

/** The sign-in URL's state, from the lines the agent printed. */
const stateOf = (printed: string) => new URL(/^(http\S+)$/m.exec(printed)![1]).searchParams.get('state')!;

test('a browser sent back the moment the sign-in URL is shown finds the loopback listener, and its code is used', async () => {
  const free = createServer();
  const port = await listening(free);
  free.close();
  await once(free, 'close');
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  let browser: Promise<Response> | undefined;
  let printed = '';
  const signedIn = oidcSignIn(client, 'p1', redirectUri, (line) => {
    printed += line;
    // The fastest browser: it is back before the agent does anything else.
    browser = fetch(`${redirectUri}?code=the-code&state=${stateOf(line)}`);
  }, new PassThrough());
  const result = await signedIn;
  assert.equal(result.code, 'the-code');
  assert.equal(result.redirect_uri, redirectUri);
  assert.equal((await browser!).status, 200);
  assert.match(printed, /then come back here/);
});

test('with the loopback port taken the agent asks for the address, and a pasted one completes the sign-in', async () => {
  const squatter = createServer((_req, res) => res.writeHead(418).end());
  const port = await listening(squatter);
  try {
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const stdin = new PassThrough();
    let printed = '';
    const result = await oidcSignIn(client, 'p1', redirectUri, (line) => {
      printed += line;
      stdin.write(`${redirectUri}?code=pasted&state=${stateOf(line)}\n`);
    }, stdin);
    assert.equal(result.code, 'pasted');
    assert.match(printed, new RegExp(`nothing listens on ${redirectUri.replace(/[.?]/g, '\\$&')} here`));
  } finally {
    squatter.close();
  }
});

test('a pasted address that answers another sign-in (its state differs) is refused', async () => {
  const stdin = new PassThrough();
  const redirectUri = 'http://device.example.test/callback';
  const signedIn = oidcSignIn(client, 'p1', redirectUri, () => stdin.write(`${redirectUri}?code=x&state=not-this-one\n`), stdin);
  await assert.rejects(signedIn, /state differs/);
});
