/**
 * The answers the proxy writes itself, straight on the wire: an upstream answer fitted to one client (its id,
 * its question's letter case), NXDOMAIN / SERVFAIL / FORMERR, and the truncated answer telling a client to retry
 * over TCP. Answers the proxy builds echo the client's EDNS0 OPT record (its fields, no options).
 */
import { HEADER_BYTES, QR, RA, RD, CD, TC, TYPE_OPT, type WireQuery } from './dns-wire.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** OPT record: root name, type, then the 6 bytes of class and TTL the query carried, and no options. */
const OPT_BYTES = 11;

/**
 * `answer` (an upstream's bytes, for this question) as this client gets it: its id, and its own question bytes,
 * which differ at most in letter case (resolvers randomize it). One copy; the answer itself is left alone.
 */
export function fitAnswer(answer: Buffer, query: WireQuery & { question: Buffer }): Buffer {
  const out = Buffer.allocUnsafe(answer.length);
  answer.copy(out);
  out.writeUInt16BE(query.id, 0);
  query.question.copy(out, HEADER_BYTES);
  return out;
}

/** Header + the query's question (when it had one) + its OPT record (when it had one), no records. */
function headerOnly(query: WireQuery, flags: number): Buffer {
  const question = query.question;
  const out = Buffer.allocUnsafe(HEADER_BYTES + (question?.length ?? 0) + (query.opt ? OPT_BYTES : 0));
  out.writeUInt16BE(query.id, 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(question ? 1 : 0, 4);
  out.writeUInt32BE(0, 6); // no answer or authority records
  out.writeUInt16BE(query.opt ? 1 : 0, 10);
  let offset = HEADER_BYTES;
  if (question) offset += question.copy(out, offset);
  if (query.opt) {
    out[offset] = 0;
    out.writeUInt16BE(TYPE_OPT, offset + 1);
    query.opt.copy(out, offset + 3);
    out.writeUInt16BE(0, offset + 9);
  }
  return out;
}

/** An answer with no records and the given rcode, echoing the question (RD and CD copied, RA set). */
export function errorAnswer(query: WireQuery, rcode: number): Buffer {
  return headerOnly(query, QR | (query.flags & (RD | CD)) | RA | rcode);
}

/** The upstream answer cut down to header and question with TC set, telling the client to ask again over TCP. */
export function truncatedAnswer(answer: Buffer, query: WireQuery): Buffer {
  return headerOnly(query, answer.readUInt16BE(2) | QR | TC);
}

export function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
