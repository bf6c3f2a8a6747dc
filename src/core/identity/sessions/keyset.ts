import { performance } from 'node:perf_hooks';
import { decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { errors } from '../../errors.js';
import type { IdentityDeps } from '../index.js';
import { sealContext } from '../../secrets/sealed-columns.js';
import { identitySealedColumns } from '../identity.sealed.js';
import type { SigningKeyRow } from '../identity.tables.js';
import { IDENTITY_CHANGED, type IdentityChange, type Keyset, type SigningKeyView, type TokenClaims } from '../identity.types.js';
import { createSigningKeyStore } from './signing-key.store.js';
import { createVerifiedTokens } from './verified-tokens.js';

const ALGORITHM = 'EdDSA';
const CLOCK_TOLERANCE_S = 60;
/** Keys retired or rotated by another process are noticed within this, even without an event. */
const CACHE_TTL_MS = 30_000;
/** Kids are k1, k2, ... in creation order (see insertNextKey). */
const KID = /^k(\d+)$/;
const kidNumber = (kid: string) => Number(KID.exec(kid)?.[1] ?? 0);

interface ActiveKey {
  kid: string;
  privateKey: CryptoKey;
}

interface LoadedKeys {
  loadedAt: number;
  /** Every key that still verifies (active and verifying), by kid. */
  verifying: Map<string, CryptoKey>;
  active?: ActiveKey;
  /** The highest kid number in the table, retired keys included: only a kid above it can be new. */
  newestKid: number;
}

const invalidToken = () => errors.unauthorized('invalid or expired token');

const view = (row: SigningKeyRow): SigningKeyView => ({
  kid: row.kid,
  algorithm: row.algorithm,
  status: row.status,
  created_at: row.created_at,
  retired_at: row.retired_at,
});

/**
 * Ed25519 keys that sign and verify Rampart's JWTs. One key is active (it signs); rotated-out keys keep verifying
 * until retired. Verification runs on every request, so imported keys are cached in memory (and each token's
 * signature is checked once, see verified-tokens.ts); the cache is reloaded when it ages, when a token names a kid
 * newer than any known, and on IDENTITY_CHANGED {all} (sent by rotate and retire, on every node).
 */
/** Whether a key that verified before no longer does (retired or gone): its remembered tokens must go. */
const lostAKey = (before: LoadedKeys, after: LoadedKeys) => [...before.verifying].some(([kid, key]) => after.verifying.get(kid) !== key);

export function createKeyset(deps: IdentityDeps): Keyset {
  const store = createSigningKeyStore(deps.db);
  const context = sealContext(identitySealedColumns.signingKey);
  const imported = new Map<string, { publicKey: CryptoKey; privateKey?: CryptoKey }>();
  let cache: LoadedKeys | undefined;
  // Bumped by invalidate(), so a load that started before a change does not install what it read.
  let keysGeneration = 0;
  // Set while one caller reloads aged keys; the others keep using them meanwhile rather than wait.
  let refreshing = false;
  const verified = createVerifiedTokens();

  function invalidate() {
    keysGeneration++;
    cache = undefined;
    verified.forget();
  }
  deps.events.subscribe(IDENTITY_CHANGED, (event) => {
    if ((event.payload as IdentityChange).all) invalidate();
  });

  async function importRow(row: SigningKeyRow) {
    let keys = imported.get(row.kid);
    if (!keys) {
      keys = { publicKey: (await importJWK(deps.db.dialect.fromJson<JWK>(row.public_jwk), ALGORITHM)) as CryptoKey };
      imported.set(row.kid, keys);
    }
    if (row.status === 'active' && !keys.privateKey) {
      keys.privateKey = await importPKCS8(deps.secrets.openString(row.private_key, context), ALGORITHM);
    }
    return keys;
  }

  async function load(): Promise<LoadedKeys> {
    const rows = await store.list();
    const loaded: LoadedKeys = { loadedAt: performance.now(), verifying: new Map(), newestKid: 0 };
    for (const row of rows) {
      loaded.newestKid = Math.max(loaded.newestKid, kidNumber(row.kid));
      if (row.status === 'retired') continue;
      const keys = await importRow(row);
      loaded.verifying.set(row.kid, keys.publicKey);
      // Rows come oldest first: should two nodes ever both have activated a key, the newest signs.
      if (row.status === 'active') loaded.active = { kid: row.kid, privateKey: keys.privateKey! };
    }
    return loaded;
  }

  /**
   * Each caller loads in its own async context, never joining another's load: that one may be running inside a
   * transaction, and on SQLite (one connection) a caller in a different transaction waiting for it would deadlock.
   */
  async function reload(): Promise<LoadedKeys> {
    const startedAt = keysGeneration;
    const loaded = await load();
    if (startedAt === keysGeneration) {
      // Tokens of keys that still verify stay verified: forgetting them on every timed reload made each device of a
      // fleet polling less often than the reload re-check its token's signature on every poll.
      if (!cache || lostAKey(cache, loaded)) verified.forget();
      cache = loaded;
    }
    return loaded;
  }

  async function currentKeys(): Promise<LoadedKeys> {
    if (cache && (refreshing || performance.now() - cache.loadedAt < CACHE_TTL_MS)) return cache;
    refreshing = true;
    try {
      return await reload();
    } finally {
      refreshing = false;
    }
  }

  async function newKeyRow(kid: string): Promise<SigningKeyRow> {
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
    return {
      kid,
      algorithm: ALGORITHM,
      public_jwk: deps.db.dialect.toJson(await exportJWK(publicKey)),
      private_key: deps.secrets.seal(await exportPKCS8(privateKey), context),
      status: 'active',
      created_at: deps.now().toISOString(),
      retired_at: null,
    };
  }

  /**
   * Inserts an active key named after the rows seen (k1, k2, ...): two nodes doing this from the same rows pick
   * the same kid, so one insert wins and the other finds the winner's key. `unlessActive` makes first use create a
   * key only if the rows it numbered from have no active one.
   */
  async function insertNextKey(unlessActive: boolean): Promise<{ kid: string; inserted: boolean }> {
    const rows = await store.list();
    const active = rows.find((row) => row.status === 'active');
    if (unlessActive && active) return { kid: active.kid, inserted: false };
    const row = await newKeyRow(`k${Math.max(0, ...rows.map((r) => kidNumber(r.kid))) + 1}`);
    return { kid: row.kid, inserted: await store.insertIfAbsent(row) };
  }

  async function activeKey(): Promise<ActiveKey> {
    const keys = await currentKeys();
    if (keys.active) return keys.active;
    await insertNextKey(true);
    // Not cached: the caller's transaction may still roll the new key back.
    invalidate();
    const fresh = await load();
    if (!fresh.active) throw errors.internal(new Error('no active signing key after creating one'));
    return fresh.active;
  }

  /**
   * A kid newer than any this node has seen may come from a rotation on another node: the keys are reloaded.
   * Made-up kids of another shape, or of a retired key, never reach the database.
   */
  async function verifyingKey(kid: string): Promise<CryptoKey | undefined> {
    const keys = await currentKeys();
    const key = keys.verifying.get(kid);
    if (key || kidNumber(kid) <= keys.newestKid) return key;
    return (await reload()).verifying.get(kid);
  }

  async function verifySignature(token: string): Promise<TokenClaims & { kid: string }> {
    let kid: unknown;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== ALGORITHM) throw invalidToken();
      kid = header.kid;
    } catch {
      throw invalidToken();
    }
    const key = typeof kid === 'string' ? await verifyingKey(kid) : undefined;
    if (!key) throw invalidToken();
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: deps.config.auth.issuer,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: deps.now(),
      });
      if (typeof payload.sub !== 'string') throw invalidToken();
      return { ...(payload as TokenClaims), kid: kid as string };
    } catch {
      throw invalidToken();
    }
  }

  async function changed(): Promise<void> {
    invalidate();
    await deps.events.publish(IDENTITY_CHANGED, { all: true } satisfies IdentityChange);
  }

  return {
    async sign(claims, ttlSeconds) {
      const { kid, privateKey } = await activeKey();
      const iat = Math.floor(deps.now().getTime() / 1000);
      const { iss: _iss, iat: _iat, exp: _exp, ...payload } = claims;
      const jwt = new SignJWT(payload).setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' }).setIssuer(deps.config.auth.issuer).setIssuedAt(iat);
      if (ttlSeconds !== null) jwt.setExpirationTime(iat + ttlSeconds);
      return { token: await jwt.sign(privateKey), kid, expiresAt: ttlSeconds === null ? null : new Date((iat + ttlSeconds) * 1000) };
    },

    async verify(token) {
      // Reloads the keys when they have aged, which also empties the memo of verified tokens.
      await currentKeys();
      const known = verified.get(token);
      if (known) {
        if (known.exp === undefined || known.exp > Math.floor(deps.now().getTime() / 1000) - CLOCK_TOLERANCE_S) return known;
        verified.delete(token);
        throw invalidToken();
      }
      const mark = verified.mark();
      const claims = Object.freeze(await verifySignature(token));
      verified.remember(token, claims, mark);
      return claims;
    },

    async rotate() {
      const { kid } = await deps.db.transaction(async () => {
        const next = await insertNextKey(false);
        if (next.inserted) await store.demoteActive(next.kid, 'verifying');
        return next;
      });
      await changed();
      // Losing a race to another rotation: that one's key is the active one now.
      return view((await store.find(kid))!);
    },

    async list() {
      return (await store.list()).map(view);
    },

    async retire(kid) {
      const row = await store.find(kid);
      if (!row) throw errors.notFound(`signing key ${kid} not found`);
      if (row.status === 'active') throw errors.badRequest(`signing key ${kid} is the active key; rotate first, then retire it`);
      if (row.status !== 'retired') {
        await store.retire(kid, deps.now().toISOString());
        imported.delete(kid);
        await changed();
      }
      return view((await store.find(kid))!);
    },
  };
}
