/**
 * Forwarding to the configured resolvers: each in order over UDP, over TCP when its UDP answer is truncated,
 * each bounded by the upstream timeout. One UDP socket per upstream carries every query in flight, told apart
 * by a fresh random id (the client's id goes back on the answer), so no socket is opened per query.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect, isIP } from 'node:net';
import dnsPacket, { type DecodedPacket, type Question } from 'dns-packet';
import { answersQuestion, isTruncated, rcodeOf, RCODE } from './dns-messages.js';
import { frame, FrameReader } from './tcp-framing.js';

export interface UpstreamAnswer {
  /** The upstream's bytes, id set back to the client's. */
  message: Buffer;
  decoded: DecodedPacket;
}

export interface Upstreams {
  /** The first usable answer, or null when every upstream failed or timed out (the client gets SERVFAIL). */
  forward(query: Buffer, question: Question): Promise<UpstreamAnswer | null>;
  close(): void;
}

interface Endpoint {
  host: string;
  port: number;
}

export function parseEndpoint(text: string): Endpoint {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  if (!match) throw new Error(`DNS upstream "${text}" is not HOST:PORT`);
  return { host: match[1], port: Number(match[2]) };
}

export function createUpstreams(addresses: string[], timeoutMs: number): Upstreams {
  const clients = addresses.map((a) => new UdpUpstream(parseEndpoint(a), timeoutMs));
  return {
    async forward(query, question) {
      for (const client of clients) {
        const answer = await client.ask(query, question);
        if (answer) return answer;
      }
      return null;
    },
    close() {
      for (const c of clients) c.close();
    },
  };
}

interface Pending {
  question: Question;
  clientId: number;
  resolve(answer: UpstreamAnswer | null): void;
  timer: NodeJS.Timeout;
}

/** A server's failure answers: try the next upstream instead. */
const failed = (message: Buffer) => rcodeOf(message) === RCODE.SERVFAIL || rcodeOf(message) === 5; // REFUSED

class UdpUpstream {
  private socket: Promise<Socket> | null = null;
  private current: Socket | null = null;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly endpoint: Endpoint, private readonly timeoutMs: number) {}

  async ask(query: Buffer, question: Question): Promise<UpstreamAnswer | null> {
    const answer = await this.overUdp(query, question);
    if (!answer || !isTruncated(answer.message)) return answer;
    return tcpQuery(this.endpoint, query, question, this.timeoutMs);
  }

  private overUdp(query: Buffer, question: Question): Promise<UpstreamAnswer | null> {
    if (this.pending.size >= 0xffff) return Promise.resolve(null);
    const socket = this.open();
    let id: number;
    do id = randomInt(0x10000);
    while (this.pending.has(id));
    const outgoing = Buffer.from(query);
    outgoing.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, null), this.timeoutMs);
      this.pending.set(id, { question, clientId: query.readUInt16BE(0), resolve, timer });
      socket.then(
        (s) => s.send(outgoing, (err) => err && this.settle(id, null)),
        () => this.settle(id, null),
      );
    });
  }

  /**
   * A connected socket: the kernel drops datagrams from anyone but the upstream, each send skips the address
   * lookup, and a closed upstream port fails the queries at once (ICMP unreachable) instead of by timeout.
   */
  private open(): Promise<Socket> {
    if (this.socket) return this.socket;
    const socket = createSocket(isIP(this.endpoint.host) === 6 ? 'udp6' : 'udp4');
    socket.on('message', (message) => this.receive(message));
    socket.on('error', () => {
      // Fails the queries in flight; the next query opens a new socket.
      if (this.current === socket) this.reset();
    });
    socket.unref();
    this.current = socket;
    return (this.socket = new Promise<Socket>((resolve, reject) => {
      socket.connect(this.endpoint.port, this.endpoint.host, () => resolve(socket));
      socket.once('error', reject);
    }));
  }

  private reset(): void {
    const socket = this.current;
    this.socket = null;
    this.current = null;
    try {
      socket?.close();
    } catch {
      // already closed
    }
    for (const id of [...this.pending.keys()]) this.settle(id, null);
  }

  private receive(message: Buffer): void {
    if (message.length < 12) return;
    const id = message.readUInt16BE(0);
    const pending = this.pending.get(id);
    if (!pending) return;
    const answer = decodeAnswer(message, pending.question, pending.clientId);
    if (answer) this.settle(id, failed(message) ? null : answer); // a spoofed or garbled message is ignored: the real one may follow
  }

  private settle(id: number, answer: UpstreamAnswer | null): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(answer);
  }

  close(): void {
    this.reset();
  }
}

function decodeAnswer(message: Buffer, question: Question, clientId: number): UpstreamAnswer | null {
  let decoded: DecodedPacket;
  try {
    decoded = dnsPacket.decode(message);
  } catch {
    return null;
  }
  if (!answersQuestion(decoded, question)) return null;
  message.writeUInt16BE(clientId, 0);
  decoded.id = clientId;
  return { message, decoded };
}

/** One query over a fresh TCP connection, for answers too long for UDP. */
function tcpQuery(endpoint: Endpoint, query: Buffer, question: Question, timeoutMs: number): Promise<UpstreamAnswer | null> {
  return new Promise((resolve) => {
    const clientId = query.readUInt16BE(0);
    const outgoing = Buffer.from(query);
    outgoing.writeUInt16BE(randomInt(0x10000), 0);
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    const reader = new FrameReader();
    const done = (answer: UpstreamAnswer | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('connect', () => socket.write(frame(outgoing)));
    socket.on('data', (chunk) => {
      const [message] = reader.push(chunk);
      if (!message) return;
      if (message.length < 12 || message.readUInt16BE(0) !== outgoing.readUInt16BE(0)) return done(null);
      const answer = decodeAnswer(Buffer.from(message), question, clientId);
      done(answer && !failed(answer.message) ? answer : null);
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}
