import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { RampartConfig } from '../../config/schema.js';
import { errors } from '../../errors.js';
import { createFifoQueue, type WaitLimit } from '../../fifo-queue.js';
import type { AuthSettingsService, Passwords } from '../identity.types.js';

/** Beyond the contract: the policy check with the minimum length as set at run time (auth settings). */
export interface PasswordPolicy {
  /** checkPolicy with the current password_min_length from the auth settings, which operators can change. */
  enforcePolicy(password: string, username: string): Promise<void>;
}

/**
 * argon2 runs on libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default), which WebCrypto (every JWT signature),
 * file system calls and DNS lookups share. A burst of hashes would take every thread and queue those behind it, and
 * more hashes than cores only slows each one: at most one per core runs at once, and one thread always stays free.
 */
const argon2Slots = Math.max(1, Math.min(availableParallelism(), Number(process.env.UV_THREADPOOL_SIZE || 4) - 1));
const argon2Queue = createFifoQueue(argon2Slots);

/**
 * The overload rule (`[auth] argon2_max_wait_ms`): a hash or check that waits that long for its turn is answered
 * 503 with Retry-After, so a burst of user creates or logins cannot keep every later one waiting for seconds.
 */
function waitLimit(maxWaitMs: number): WaitLimit {
  const retryAfterS = Math.max(1, Math.ceil(maxWaitMs / 1000));
  return {
    maxWaitMs,
    onTimeout: () =>
      errors.unavailable(`too many password checks at once; retry after ${retryAfterS} s`, {
        headers: { 'retry-after': String(retryAfterS) },
      }),
  };
}

/**
 * argon2id hashes (PHC strings) with the cost from [auth], and the password policy. checkPolicy is synchronous
 * and uses the configured minimum length; enforcePolicy reads the run-time setting first, and is what the user
 * service calls.
 */
export function createPasswords(config: RampartConfig['auth'], settings: AuthSettingsService): Passwords & PasswordPolicy {
  const options = {
    algorithm: Algorithm.Argon2id,
    memoryCost: config.argon2_memory_kib,
    timeCost: config.argon2_time_cost,
    parallelism: config.argon2_parallelism,
  };
  const limit = waitLimit(config.argon2_max_wait_ms);
  const hash = (password: string) => argon2Queue.run(() => argon2Hash(password, options), limit);
  /** Refused for overload like a hash (503); a malformed stored hash verifies nothing. */
  const verify = (phc: string, password: string) => argon2Queue.run(() => argon2Verify(phc, password).catch(() => false), limit);
  let dummyHash: Promise<string> | undefined;

  function check(password: string, username: string, minLength: number): void {
    if (password.length < minLength) throw errors.validation(`password must be at least ${minLength} characters`);
    if (password.toLowerCase() === username.toLowerCase()) throw errors.validation('password must not be the username');
  }

  return {
    hash,
    verify,

    async verifyDummy(password) {
      // Made once, with the same cost as real hashes, so a miss spends the time a real verify does.
      dummyHash ??= argon2Queue.run(() => argon2Hash(randomBytes(16).toString('hex'), options));
      await verify(await dummyHash, password);
    },

    checkPolicy: (password, username) => check(password, username, config.password_min_length),

    async enforcePolicy(password, username) {
      check(password, username, (await settings.get()).password_min_length);
    },
  };
}
