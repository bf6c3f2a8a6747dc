import { createHash } from 'node:crypto';
import { errors, RampartError } from '../../core/errors.js';
import type { IdempotencyStore } from './idempotency.store.js';

/** A sane Idempotency-Key: what clients generate (UUIDs, ULIDs, random tokens), bounded in length. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentRequest {
  actor: string;
  key: string;
  method: string;
  path: string;
  query: string;
  body: unknown;
}

export interface StoredResponse {
  status: number;
  body: string;
  type: string;
}

const inProgress = () =>
  new RampartError({ code: 'idempotency_in_progress', status: 409, message: 'a request with this Idempotency-Key is still in progress', retryable: true });

/**
 * Idempotency-Key semantics: the first request with a key runs and its 2xx response is kept for the TTL;
 * the same key with the same request replays that response; with a different request it is a 409.
 */
export function createIdempotency(deps: { store: IdempotencyStore; now: () => Date; ttlMs: number }) {
  const { store } = deps;

  function requestHash(req: IdempotentRequest): string {
    return createHash('sha256')
      .update(`${req.method}\n${req.path}\n${req.query}\n`)
      .update(req.body === undefined ? '' : JSON.stringify(req.body))
      .digest('hex');
  }

  return {
    validateKey(key: string): void {
      if (!KEY_PATTERN.test(key)) throw errors.validation('Idempotency-Key must be 1 to 255 printable ASCII characters');
    },

    /**
     * Either returns a stored response to replay, or claims the key for this request (and returns null): the caller
     * then runs the request and calls finish().
     */
    async begin(req: IdempotentRequest): Promise<StoredResponse | null> {
      const hash = requestHash(req);
      const now = deps.now();
      for (let attempt = 0; attempt < 2; attempt++) {
        const existing = await store.find(req.actor, req.key);
        if (existing && existing.expires_at <= now.toISOString()) {
          await store.release(req.actor, req.key);
        } else if (existing) {
          if (existing.request_hash !== hash) {
            throw new RampartError({ code: 'idempotency_key_reused', status: 409, message: 'Idempotency-Key was already used with a different request' });
          }
          if (existing.state === 'in_progress') throw inProgress();
          return { status: existing.status_code!, body: existing.response_body ?? '', type: existing.response_type ?? 'application/json' };
        }
        const claimed = await store.claim({
          actor: req.actor,
          key: req.key,
          request_hash: hash,
          created_at: now.toISOString(),
          expires_at: new Date(now.getTime() + deps.ttlMs).toISOString(),
        });
        if (claimed) return null;
      }
      throw inProgress();
    },

    /** Keeps a 2xx response for replay; forgets the key otherwise so the client can retry. */
    async finish(req: Pick<IdempotentRequest, 'actor' | 'key'>, response: StoredResponse): Promise<void> {
      if (response.status >= 200 && response.status < 300) await store.complete(req.actor, req.key, response);
      else await store.release(req.actor, req.key);
    },

    sweep(): Promise<number> {
      return store.sweep(deps.now().toISOString());
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
