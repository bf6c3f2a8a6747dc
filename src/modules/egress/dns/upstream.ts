/**
 * Forwarding to the configured resolvers: each in order over UDP, over TCP when its UDP answer is truncated,
 * each bounded by the upstream timeout. Each upstream has a small pool of connected UDP sockets carrying every
 * query in flight, round robin, told apart by a fresh random id per query (the proxy puts the client's id back),
 * so no socket is opened per query and an answer must match source address, port and id to be taken.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect, isIP } from 'node:net';
import { RCODE } from './dns-messages.js';
import { readAnswer, type WireAnswer } from './dns-wire.js';
import { frame, FrameReader } from './tcp-framing.js';

export interface Upstreams {
  /**
   * The first usable answer to `query` (a client's message; `question`: its question section, uncompressed), or
   * null when every upstream failed or timed out (the client gets SERVFAIL). The answer carries the proxy's id.
   */
  forward(query: Buffer, question: Buffer): Promise<WireAnswer | null>;
  close(): void;
}

interface Endpoint {
  host: string;
  port: number;
}

/** Sockets per upstream: more source ports for an off-path spoofer to guess, and 65,536 ids each. */
const POOL_SIZE = 4;

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

/** A server's failure answers: try the next upstream instead. */
const failed = (answer: WireAnswer) => answer.rcode === RCODE.SERVFAIL || answer.rcode === RCODE.REFUSED;

class UdpUpstream {
  private readonly lanes: Lane[];
  private next = 0;

  constructor(private readonly endpoint: Endpoint, private readonly timeoutMs: number) {
    this.lanes = Array.from({ length: POOL_SIZE }, () => new Lane(endpoint, timeoutMs));
  }

  async ask(query: Buffer, question: Buffer): Promise<WireAnswer | null> {
    const lane = this.lanes[this.next];
    this.next = (this.next + 1) % this.lanes.length;
    const answer = await lane.ask(query, question);
    if (!answer || !answer.truncated) return answer;
    return tcpQuery(this.endpoint, query, question, this.timeoutMs);
  }

  close(): void {
    for (const lane of this.lanes) lane.close();
  }
}

interface Pending {
  question: Buffer;
  resolve(answer: WireAnswer | null): void;
  timer: NodeJS.Timeout;
}

/** One connected UDP socket to the upstream and the queries in flight on it. */
class Lane {
  private socket: Promise<Socket> | null = null;
  private current: Socket | null = null;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly endpoint: Endpoint, private readonly timeoutMs: number) {}

  ask(query: Buffer, question: Buffer): Promise<WireAnswer | null> {
    if (this.pending.size >= 0xffff) return Promise.resolve(null);
    const socket = this.open();
    let id: number;
    do id = randomInt(0x10000);
    while (this.pending.has(id));
    const outgoing = Buffer.from(query);
    outgoing.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, null), this.timeoutMs);
      this.pending.set(id, { question, resolve, timer });
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
    const answer = readAnswer(message, pending.question);
    if (answer) this.settle(id, failed(answer) ? null : answer); // a spoofed or garbled message is ignored: the real one may follow
  }

  private settle(id: number, answer: WireAnswer | null): void {
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

/** One query over a fresh TCP connection, for answers too long for UDP. */
function tcpQuery(endpoint: Endpoint, query: Buffer, question: Buffer, timeoutMs: number): Promise<WireAnswer | null> {
  return new Promise((resolve) => {
    const outgoing = Buffer.from(query);
    outgoing.writeUInt16BE(randomInt(0x10000), 0);
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    const reader = new FrameReader();
    const done = (answer: WireAnswer | null) => {
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
      const answer = readAnswer(Buffer.from(message), question);
      done(answer && !failed(answer) ? answer : null);
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}
