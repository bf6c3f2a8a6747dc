/**
 * The DNS wire-format pieces the proxy needs, on top of dns-packet: reading a client's query, the answers it
 * builds itself (NXDOMAIN, SERVFAIL, FORMERR, truncated), and the A records of an upstream answer.
 */
import dnsPacket, { type Answer, type DecodedPacket, type Question } from 'dns-packet';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3 } as const;

const QR = 0x8000;
const OPCODE_MASK = 0x7800;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const CD = 0x0010;
/** Without EDNS0 a UDP answer may be at most this long (RFC 1035). */
export const CLASSIC_UDP_LIMIT = 512;
/** The largest UDP answer the proxy sends, whatever a client advertises. */
const MAX_UDP_LIMIT = 4096;

export interface ClientQuery {
  id: number;
  /** Header flags of the query (QR clear). */
  flags: number;
  question: Question;
  /** The question's type as a number (1 A, 28 AAAA ...): findings carry it so, as Neuwerk's do. */
  qtype: number;
  /** The query's OPT record, echoed in answers the proxy builds; null without EDNS0. */
  opt: Answer | null;
  /** The largest UDP answer this client accepts. */
  udpLimit: number;
}

/** The header's id, or null when the message is too short to have one. */
export function messageId(message: Buffer): number | null {
  return message.length >= 12 ? message.readUInt16BE(0) : null;
}

/**
 * Decodes a client's message. Null for anything the proxy does not answer: undecodable bytes, responses
 * (so two proxies cannot loop), and opcodes other than QUERY. A query with other than one question is
 * decoded with question null: it gets FORMERR.
 */
export function readQuery(message: Buffer): (Omit<ClientQuery, 'question'> & { question: Question | null }) | null {
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(message);
  } catch {
    return null;
  }
  const flags = message.readUInt16BE(2);
  if (flags & QR || flags & OPCODE_MASK) return null;
  const opt = (packet.additionals ?? []).find((a) => a.type === 'OPT') ?? null;
  const advertised = opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : 0;
  return {
    id: packet.id ?? 0,
    flags,
    question: packet.questions?.length === 1 ? packet.questions[0] : null,
    qtype: packet.questions?.length ? firstQuestionType(message) : 0,
    opt: opt ? { ...opt, options: [] } as Answer : null,
    udpLimit: Math.min(MAX_UDP_LIMIT, Math.max(CLASSIC_UDP_LIMIT, advertised)),
  };
}

/** The type field of the first question, read off the wire (dns-packet names types; unknown ones lose their number). */
function firstQuestionType(message: Buffer): number {
  let offset = 12;
  while (offset < message.length) {
    const length = message[offset];
    if (length === 0) return message.readUInt16BE(offset + 1);
    if ((length & 0xc0) === 0xc0) return message.readUInt16BE(offset + 2);
    offset += length + 1;
  }
  return 0;
}

/** An answer with no records and the given rcode, echoing the question (RD copied, RA set). */
export function errorAnswer(query: Pick<ClientQuery, 'id' | 'flags' | 'opt'> & { question: Question | null }, rcode: number): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: (query.flags & (RD | CD)) | RA | rcode,
    questions: query.question ? [query.question] : [],
    answers: [],
    authorities: [],
    additionals: query.opt ? [query.opt] : [],
  });
}

/** The answer cut down to header and question with TC set, telling the client to ask again over TCP. */
export function truncatedAnswer(answer: DecodedPacket, query: ClientQuery): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: (answer.flags ?? 0) | TC,
    questions: [query.question],
    answers: [],
    authorities: [],
    additionals: query.opt ? [query.opt] : [],
  });
}

export function isTruncated(message: Buffer): boolean {
  return message.length >= 4 && (message.readUInt16BE(2) & TC) !== 0;
}

export function rcodeOf(message: Buffer): number {
  return message.readUInt16BE(2) & 0xf;
}

/** Whether an upstream's message answers this query: a response with the same question. */
export function answersQuestion(answer: DecodedPacket, question: Question): boolean {
  const asked = answer.questions?.[0];
  return answer.type === 'response' && !!asked && asked.type === question.type && sameName(asked.name, question.name);
}

export interface AddressAnswer {
  ips: string[];
  /** The longest TTL among the A records, seconds. */
  ttl: number;
}

/**
 * The A records for `qname` in an answer section, following CNAME chains (qname -> alias -> ... -> A), as a
 * stub resolver would read them. Records for names off the chain are ignored: an upstream cannot get an
 * unrelated address allowed by adding it to the answer.
 */
export function addressAnswers(answer: DecodedPacket, qname: string): AddressAnswer {
  const records = answer.answers ?? [];
  const chain = new Set([normalName(qname)]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of records) {
      if (r.type === 'CNAME' && chain.has(normalName(r.name)) && !chain.has(normalName(r.data as string))) {
        chain.add(normalName(r.data as string));
        grew = true;
      }
    }
  }
  const ips = new Set<string>();
  let ttl = 0;
  for (const r of records) {
    if (r.type === 'A' && chain.has(normalName(r.name))) {
      ips.add(r.data as string);
      ttl = Math.max(ttl, r.ttl ?? 0);
    }
  }
  return { ips: [...ips], ttl };
}

export function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

const sameName = (a: string, b: string) => normalName(a) === normalName(b);
