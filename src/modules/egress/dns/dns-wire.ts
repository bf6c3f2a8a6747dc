/**
 * The DNS wire format as the proxy's hot path reads it, without a general decoder: a client's query is read
 * only as far as its header, question and EDNS0 OPT record; an upstream's answer is walked once, when it
 * arrives, for what the proxy needs of it later (rcode, where its TTLs sit, the A addresses of the queried name).
 * Every read is bounds-checked: malformed bytes give null, never an exception.
 */

export const HEADER_BYTES = 12;
export const QR = 0x8000;
export const OPCODE_MASK = 0x7800;
export const TC = 0x0200;
export const RD = 0x0100;
export const RA = 0x0080;
export const CD = 0x0010;
export const TYPE_A = 1;
const TYPE_CNAME = 5;
export const TYPE_OPT = 41;
/** The DO bit (DNSSEC answers wanted), in the flags half of the OPT record's TTL field. */
const EDNS_DO = 0x8000;
/** Without EDNS0 a UDP answer may be at most this long (RFC 1035). */
export const CLASSIC_UDP_LIMIT = 512;
/** The largest UDP answer the proxy sends, whatever a client advertises. */
const MAX_UDP_LIMIT = 4096;
/** RFC 1035: a name is at most 255 bytes on the wire. */
const MAX_NAME_BYTES = 255;

export interface WireQuery {
  id: number;
  /** Header flags (QR clear, opcode QUERY). */
  flags: number;
  /**
   * The question section (name, type, class) with the name uncompressed: a view of the message's own bytes in
   * the usual case. Null when the query has other than one question (it gets FORMERR).
   */
  question: Buffer | null;
  /** The question's type (1 A, 28 AAAA ...), 0 without a question. */
  qtype: number;
  /** The OPT record's class and TTL fields (payload size, extended rcode, version, flags), echoed in answers the proxy builds; null without EDNS0. */
  opt: Buffer | null;
  /** The largest UDP answer this client accepts. */
  udpLimit: number;
}

/** Where a name ends and its uncompressed bytes; null when malformed. */
interface ReadName {
  /** Offset just past the name where it sits (a pointer ends it). */
  end: number;
  /** The uncompressed wire form: a view of the message when the name had no pointer. */
  wire: Buffer;
  compressed: boolean;
}

/**
 * Reads a (possibly compressed) name at `offset`. Pointers must point backwards, which also rules out loops;
 * label types other than plain and pointer are refused, as is a name over 255 bytes.
 */
export function readName(message: Buffer, offset: number): ReadName | null {
  const start = offset;
  let end = -1;
  let parts: Buffer[] | null = null;
  let partStart = offset;
  let length = 0;
  for (let limit = offset; ; ) {
    if (offset >= message.length) return null;
    const label = message[offset];
    if (label === 0) {
      length += 1;
      if (length > MAX_NAME_BYTES) return null;
      if (!parts) return { end: offset + 1, wire: message.subarray(start, offset + 1), compressed: false };
      parts.push(message.subarray(partStart, offset + 1));
      return { end, wire: Buffer.concat(parts), compressed: true };
    }
    if ((label & 0xc0) === 0xc0) {
      if (offset + 1 >= message.length) return null;
      const target = ((label & 0x3f) << 8) | message[offset + 1];
      if (target >= limit) return null;
      (parts ??= []).push(message.subarray(partStart, offset));
      if (end < 0) end = offset + 2;
      offset = partStart = limit = target;
      continue;
    }
    if (label & 0xc0) return null;
    length += label + 1;
    if (length > MAX_NAME_BYTES || offset + 1 + label > message.length) return null;
    offset += label + 1;
  }
}

/** The text form of an uncompressed wire name, labels joined by dots ("." for the root), as dns-packet gives it. */
export function nameText(wire: Buffer): string {
  let text = '';
  for (let offset = 0; offset < wire.length && wire[offset] !== 0; offset += wire[offset] + 1) {
    text += (text ? '.' : '') + wire.toString('utf8', offset + 1, offset + 1 + wire[offset]);
  }
  return text || '.';
}

/** Lower-cases ASCII letters only: DNS compares names so (RFC 4343); other bytes, type and class stay as they are. */
export function lowerAscii(wire: Buffer): Buffer {
  let out: Buffer | null = null;
  for (let i = 0; i < wire.length; i++) {
    const c = wire[i];
    if (c >= 0x41 && c <= 0x5a) (out ??= Buffer.from(wire))[i] = c | 0x20;
  }
  return out ?? wire;
}

/** Offset just past a resource record at `offset` (name, type, class, TTL, rdata); -1 when it does not fit. */
function skipRecord(message: Buffer, offset: number): number {
  const name = readName(message, offset);
  if (!name || name.end + 10 > message.length) return -1;
  const end = name.end + 10 + message.readUInt16BE(name.end + 8);
  return end > message.length ? -1 : end;
}

/**
 * A client's message as the proxy answers it. Null for what it does not answer: too short or malformed, a
 * response (so two proxies cannot loop), an opcode other than QUERY. Sections after the question are only
 * walked to find the OPT record among the additionals.
 */
export function readQuery(message: Buffer): WireQuery | null {
  if (message.length < HEADER_BYTES) return null;
  const flags = message.readUInt16BE(2);
  if (flags & QR || flags & OPCODE_MASK) return null;
  const counts = [4, 6, 8, 10].map((at) => message.readUInt16BE(at));
  let offset = HEADER_BYTES;
  let question: Buffer | null = null;
  let qtype = 0;
  for (let i = 0; i < counts[0]; i++) {
    const name = readName(message, offset);
    if (!name || name.end + 4 > message.length) return null;
    if (i === 0) {
      qtype = message.readUInt16BE(name.end);
      question = name.compressed ? Buffer.concat([name.wire, message.subarray(name.end, name.end + 4)]) : message.subarray(offset, name.end + 4);
    }
    offset = name.end + 4;
  }
  let opt: Buffer | null = null;
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records; i++) {
    const next = skipRecord(message, offset);
    if (next < 0) return null;
    if (i >= counts[1] + counts[2] && message[offset] === 0 && message.readUInt16BE(offset + 1) === TYPE_OPT) opt = message.subarray(offset + 3, offset + 9);
    offset = next;
  }
  const advertised = opt ? opt.readUInt16BE(0) : 0;
  return {
    id: message.readUInt16BE(0),
    flags,
    question: counts[0] === 1 ? question : null,
    qtype,
    opt,
    udpLimit: Math.min(MAX_UDP_LIMIT, Math.max(CLASSIC_UDP_LIMIT, advertised)),
  };
}

/**
 * What makes two queries for one question get different answers, as a key prefix: RD, CD, EDNS0 present,
 * DO. Answers to queries without EDNS0 carry no OPT record, and DO asks for DNSSEC records.
 */
export function queryVariant(query: Pick<WireQuery, 'flags' | 'opt'>): string {
  const edns = query.opt ? 1 + (query.opt.readUInt16BE(4) & EDNS_DO ? 2 : 0) : 0;
  return String.fromCharCode(48 + (query.flags & RD ? 1 : 0) + (query.flags & CD ? 2 : 0) + edns * 4);
}

export interface WireAnswer {
  /** The upstream's bytes as they came (id and question as it sent them). */
  message: Buffer;
  rcode: number;
  truncated: boolean;
  /** Offsets of every record's TTL field but the OPT record's (which holds flags, not a TTL). */
  ttlOffsets: number[];
  /** The TTLs at those offsets as received. */
  ttls: number[];
  /** The shortest TTL of the answer and authority records; the answer is cacheable for as long. */
  minTtl: number;
  answerCount: number;
  /** The A addresses of the queried name, following CNAMEs (qname -> alias -> ... -> A). */
  ips: string[];
  /** The longest TTL among those A records. */
  ipTtl: number;
}

/**
 * An upstream's message as an answer to `question` (uncompressed wire form, any case): null when it is not a
 * response to that question or does not parse. A records count only for names on the queried name's CNAME
 * chain, so an upstream cannot get an unrelated address allowed by adding it to the answer.
 */
export function readAnswer(message: Buffer, question: Buffer): WireAnswer | null {
  if (message.length < HEADER_BYTES + question.length) return null;
  const flags = message.readUInt16BE(2);
  if (!(flags & QR) || message.readUInt16BE(4) !== 1) return null;
  const asked = message.subarray(HEADER_BYTES, HEADER_BYTES + question.length);
  if (!lowerAscii(asked).equals(lowerAscii(question))) return null;
  const counts = [6, 8, 10].map((at) => message.readUInt16BE(at));
  const ttlOffsets: number[] = [];
  const ttls: number[] = [];
  const aRecords: Array<{ owner: string; ip: string; ttl: number }> = [];
  const cnames: Array<[owner: string, target: string]> = [];
  let minTtl = Infinity;
  let offset = HEADER_BYTES + question.length;
  for (let i = 0; i < counts[0] + counts[1] + counts[2]; i++) {
    const name = readName(message, offset);
    if (!name || name.end + 10 > message.length) return null;
    const [type, ttl, rdlength] = [message.readUInt16BE(name.end), message.readUInt32BE(name.end + 4), message.readUInt16BE(name.end + 8)];
    const rdata = name.end + 10;
    if (rdata + rdlength > message.length) return null;
    if (type !== TYPE_OPT) {
      ttlOffsets.push(name.end + 4);
      ttls.push(ttl);
      if (i < counts[0] + counts[1]) minTtl = Math.min(minTtl, ttl);
    }
    if (i < counts[0] && type === TYPE_A && rdlength === 4) aRecords.push({ owner: lowerAscii(name.wire).toString('latin1'), ip: `${message[rdata]}.${message[rdata + 1]}.${message[rdata + 2]}.${message[rdata + 3]}`, ttl });
    if (i < counts[0] && type === TYPE_CNAME) {
      const target = readName(message, rdata);
      if (!target || target.end > rdata + rdlength) return null;
      cnames.push([lowerAscii(name.wire).toString('latin1'), lowerAscii(target.wire).toString('latin1')]);
    }
    offset = rdata + rdlength;
  }
  const chain = cnameChain(lowerAscii(question.subarray(0, question.length - 4)).toString('latin1'), cnames);
  const ips = new Set<string>();
  let ipTtl = 0;
  for (const a of aRecords) {
    if (!chain.has(a.owner)) continue;
    ips.add(a.ip);
    ipTtl = Math.max(ipTtl, a.ttl);
  }
  return {
    message, rcode: flags & 0xf, truncated: (flags & TC) !== 0, ttlOffsets, ttls,
    minTtl: minTtl === Infinity ? 0 : minTtl, answerCount: counts[0], ips: [...ips], ipTtl,
  };
}

/** The queried name and every alias it leads to (names in lower-cased wire form), in whatever order the records came. */
function cnameChain(qname: string, cnames: Array<[string, string]>): Set<string> {
  const chain = new Set([qname]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [owner, target] of cnames) {
      if (chain.has(owner) && !chain.has(target)) grew = !!chain.add(target);
    }
  }
  return chain;
}
