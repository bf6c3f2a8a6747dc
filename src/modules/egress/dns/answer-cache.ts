/**
 * Answers the proxy has forwarded, kept until their TTL runs out, so a popular name is answered without a round
 * trip upstream (as dnsmasq and every caching resolver do). A cached answer goes out with its TTLs counted down,
 * so a client never keeps an address longer than its nft set element lives (learned with TTL + grace).
 * Only plain successful answers are kept: NOERROR, not truncated, with a positive TTL.
 */
import dnsPacket, { type Answer, type DecodedPacket, type Question } from 'dns-packet';

const MAX_ENTRIES = 10_000;

interface Entry {
  packet: DecodedPacket;
  /** When the entry was stored and when its shortest TTL runs out, in ms. */
  storedAt: number;
  expiresAt: number;
}

export interface CachedAnswer {
  /** Ready to send: the client's id, TTLs counted down. */
  message: Buffer;
  decoded: DecodedPacket;
}

const keyOf = (q: Question) => `${q.name.toLowerCase()}|${q.type}|${q.class ?? 'IN'}`;

/** TTL-bearing records (everything but OPT). */
const withTtl = (records: Answer[] | undefined) => (records ?? []).filter((r) => r.type !== 'OPT') as Array<Answer & { ttl?: number }>;

export function createAnswerCache(now: () => number = Date.now, max = MAX_ENTRIES) {
  const entries = new Map<string, Entry>();

  return {
    /** The cached answer to this question for this client id, or null. */
    get(question: Question, clientId: number): CachedAnswer | null {
      const key = keyOf(question);
      const entry = entries.get(key);
      if (!entry) return null;
      const at = now();
      if (at >= entry.expiresAt) {
        entries.delete(key);
        return null;
      }
      const elapsed = Math.floor((at - entry.storedAt) / 1000);
      const countDown = (records: Answer[] | undefined) =>
        records?.map((r) => (r.type === 'OPT' ? r : { ...r, ttl: Math.max(1, ((r as { ttl?: number }).ttl ?? 0) - elapsed) })) as Answer[] | undefined;
      const decoded: DecodedPacket = {
        ...entry.packet,
        id: clientId,
        answers: countDown(entry.packet.answers),
        authorities: countDown(entry.packet.authorities),
        additionals: countDown(entry.packet.additionals),
      };
      return { message: dnsPacket.encode(decoded), decoded };
    },

    /** Keeps an upstream answer when it is a plain success. */
    put(question: Question, decoded: DecodedPacket, truncated: boolean): void {
      const records = withTtl(decoded.answers);
      if (truncated || ((decoded.flags ?? 0) & 0xf) !== 0 || records.length === 0) return; // rcode NOERROR only
      const ttl = Math.min(...withTtl([...(decoded.answers ?? []), ...(decoded.authorities ?? [])]).map((r) => r.ttl ?? 0));
      if (!(ttl > 0)) return;
      const key = keyOf(question);
      entries.delete(key);
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      const at = now();
      entries.set(key, { packet: decoded, storedAt: at, expiresAt: at + ttl * 1000 });
    },

    size: () => entries.size,
  };
}

export type AnswerCache = ReturnType<typeof createAnswerCache>;
