/**
 * DNS test kit for the egress DNS proxy: Debian's dnsmasq as the real upstream on 127.0.0.1 (a free port; it
 * touches no firewall), and a small DNS client over UDP and TCP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import { frame, FrameReader } from '../../src/modules/egress/dns/tcp-framing.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';
/** TTL of dnsmasq's own answers (--local-ttl). */
export const LOCAL_TTL = 60;
export const BIG_COUNT = 40;
/** big.example.com has this many A records: too many for a 512-byte UDP answer. */
export const bigAddresses = Array.from({ length: BIG_COUNT }, (_, i) => `198.51.100.${i + 1}`);

/** dnsmasq serves api (203.0.113.10), blocked (.20), web (.30), alias -> web (CNAME) and big (40 A records), all *.example.com. */

export async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  s.close();
  return port;
}

/**
 * dnsmasq on a free loopback port. The port is free when picked but dnsmasq binds it a moment later, when another
 * process (a parallel test, another user of the machine) may have taken it: then dnsmasq exits and a new port is tried.
 */
export async function startDnsmasq(): Promise<{ port: number; proc: ChildProcess }> {
  let failure = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const proc = spawn(DNSMASQ, [
      // nx.example.com: answered NXDOMAIN by the upstream itself.
      '--no-resolv', '--no-hosts', '--address=/api.example.com/203.0.113.10', '--address=/blocked.example.com/203.0.113.20', '--address=/nx.example.com/',
      '--host-record=web.example.com,203.0.113.30', '--cname=alias.example.com,web.example.com',
      ...bigAddresses.map((ip) => `--host-record=big.example.com,${ip}`),
      `--local-ttl=${LOCAL_TTL}`, '--port', String(port), '--listen-address', '127.0.0.1', '--bind-interfaces', '--no-daemon', '--user=root',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (c) => (stderr += c));
    // A loaded machine may take seconds to start it; only an exit (the port was taken) means try another.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      const answer = await udpQuery(port, 'api.example.com', 'A', { timeoutMs: 200 }).catch(() => null);
      if (answer) return { port, proc };
    }
    proc.kill('SIGKILL');
    failure = `dnsmasq did not answer on 127.0.0.1:${port}: ${stderr}`;
  }
  throw new Error(failure);
}

export interface QueryOptions {
  from?: string;
  id?: number;
  /** Advertise this EDNS0 UDP size. */
  edns?: number;
  timeoutMs?: number;
}

/** dns-packet decodes the rcode too; its types leave it out. */
export type Packet = DecodedPacket & { rcode: string };

export interface Reply {
  raw: Buffer;
  packet: Packet;
  ms: number;
}

export function encodeQuery(name: string, type: RecordType, opts: QueryOptions = {}): Buffer {
  return dnsPacket.encode({
    type: 'query', id: opts.id ?? 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }],
    additionals: opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: 0, options: [] } as any] : [],
  });
}

export async function udpExchange(port: number, message: Buffer, opts: QueryOptions = {}): Promise<Reply> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, opts.from ?? '127.0.0.1', resolve));
  const started = Date.now();
  try {
    return await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), opts.timeoutMs ?? 15_000);
      socket.on('message', (raw) => (clearTimeout(timer), resolve({ raw, packet: dnsPacket.decode(raw) as Packet, ms: Date.now() - started })));
      socket.send(message, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

export const udpQuery = (port: number, name: string, type: RecordType, opts: QueryOptions = {}) => udpExchange(port, encodeQuery(name, type, opts), opts);

/** Sends the messages on one connection, byte by byte when `dribble`, and collects `expect` answers. */
export async function tcpExchange(port: number, messages: Buffer[], expect: number, dribble = false): Promise<{ replies: Packet[]; closed: boolean }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const reader = new FrameReader();
  const replies: Packet[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`got ${replies.length}/${expect} TCP answers`))), 15_000);
    const finish = (closed: boolean) => (clearTimeout(timer), socket.destroy(), resolve({ replies, closed }));
    socket.on('data', (chunk) => {
      for (const m of reader.push(chunk)) replies.push(dnsPacket.decode(m) as Packet);
      if (replies.length >= expect) finish(false);
    });
    socket.on('close', () => finish(true));
    const bytes = Buffer.concat(messages.map(frame));
    if (!dribble) socket.write(bytes);
    else (async () => {
      for (const b of bytes) {
        socket.write(Buffer.from([b]));
        await new Promise((r) => setImmediate(r));
      }
    })();
  });
}

export const addresses = (p: DecodedPacket) => (p.answers ?? []).filter((a) => a.type === 'A').map((a) => (a as { data: string }).data).sort();

