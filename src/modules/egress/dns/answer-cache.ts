/**
 * Answers the proxy has forwarded, kept until their TTL runs out, so a popular name is answered without a round
 * trip upstream (as dnsmasq and every caching resolver do). Keyed by the question's bytes (name lower-cased) and
 * what changes an answer besides (queryVariant: RD, CD, EDNS0, DO), and kept as the upstream's bytes with the
 * offsets of their TTLs, so a hit is a copy, never a decode and re-encode. A cached answer goes out with its TTLs
 * counted down, so a client never keeps an address longer than its nft set element lives (learned with TTL + grace).
 * Only plain successful answers are kept: NOERROR, not truncated, with records and a positive TTL.
 */
import type { WireAnswer } from './dns-wire.js';

const MAX_ENTRIES = 10_000;

export interface CachedAnswer {
  answer: WireAnswer;
  /** The queried name, lower-cased, no trailing dot (what the DNS cache and findings show). */
  name: string;
  /** When the entry was stored and when its shortest TTL runs out, in ms. */
  storedAt: number;
  expiresAt: number;
  /** The upstream's bytes with every TTL counted down by `elapsedS` whole seconds (rebuilt when that changes). */
  counted: Buffer;
  elapsedS: number;
  /** The unix second this answer last went into the DNS cache (proxy bookkeeping: once a second is enough). */
  rememberedAt: number;
}

export function createAnswerCache(now: () => number = Date.now, max = MAX_ENTRIES) {
  // Map iteration order is insertion order: the front is the oldest entry, dropped first when full.
  const entries = new Map<string, CachedAnswer>();

  return {
    /** The live entry for this key, with `counted` up to date; null when absent or expired. */
    get(key: string): CachedAnswer | null {
      const entry = entries.get(key);
      if (!entry) return null;
      const at = now();
      if (at >= entry.expiresAt) {
        entries.delete(key);
        return null;
      }
      const elapsed = Math.floor((at - entry.storedAt) / 1000);
      if (elapsed !== entry.elapsedS) {
        entry.counted = countDown(entry.answer, elapsed);
        entry.elapsedS = elapsed;
      }
      return entry;
    },

    /** Keeps an upstream answer when it is a plain success; returns the entry, or null when not kept. */
    put(key: string, answer: WireAnswer, name: string): CachedAnswer | null {
      if (answer.truncated || answer.rcode !== 0 || answer.answerCount === 0 || !(answer.minTtl > 0)) return null;
      entries.delete(key);
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      const at = now();
      const entry: CachedAnswer = { answer, name, storedAt: at, expiresAt: at + answer.minTtl * 1000, counted: answer.message, elapsedS: 0, rememberedAt: -1 };
      entries.set(key, entry);
      return entry;
    },

    size: () => entries.size,
  };
}

/** A copy of the answer with each TTL lowered by `elapsed` seconds, never below 1. */
function countDown(answer: WireAnswer, elapsed: number): Buffer {
  const out = Buffer.from(answer.message);
  answer.ttlOffsets.forEach((offset, i) => out.writeUInt32BE(Math.max(1, answer.ttls[i] - elapsed), offset));
  return out;
}

/** The A records' TTL as the cached answer states it now (the longest, counted down, at least 1). */
export function countedIpTtl(entry: CachedAnswer): number {
  return Math.max(1, entry.answer.ipTtl - entry.elapsedS);
}

export type AnswerCache = ReturnType<typeof createAnswerCache>;
