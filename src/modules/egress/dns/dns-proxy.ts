/**
 * The DNS proxy: UDP and TCP on one address. Each query gets the verdict of the running DNS policy; a denied
 * one is answered NXDOMAIN here, an allowed one is forwarded upstream and its A answers are put into the
 * allowing rule's nft set before the client sees them, so the connection it opens next is let through.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket as TcpSocket } from 'node:net';
import type { Logger } from 'pino';
import type { DnsPolicy } from '../compiler/compiled.types.js';
import type { Dataplane } from '../dataplane/dataplane.types.js';
import type { DnsCache } from './dns-cache.js';
import { createAnswerCache } from './answer-cache.js';
import { addressAnswers, errorAnswer, isTruncated, normalName, RCODE, rcodeOf, readQuery, truncatedAnswer, type ClientQuery } from './dns-messages.js';
import { dnsVerdict, plainClientIp, type DnsVerdict } from './dns-verdict.js';
import { frame, FrameReader } from './tcp-framing.js';
import { createUpstreams, parseEndpoint, type Upstreams } from './upstream.js';

/** The finding the proxy records; a subset of the findings store's input. */
export interface DnsDenyFinding {
  finding_type: 'dns_deny';
  policy_id: string;
  source_group: string;
  hostname: string;
  /** The DNS type number (1 A, 28 AAAA ...), as Neuwerk's findings carry it. */
  query_type: number;
  at: number;
  node_id: string;
}

export interface DnsProxyDeps {
  /** HOST:PORT for UDP and TCP; port 0 picks a free port (the same for both). */
  listen: string;
  upstreams: string[];
  upstreamTimeoutMs: number;
  ttlGraceS: number;
  nodeId: string;
  /** The DNS policy running now; null before the first generation (everything is forwarded). */
  dnsPolicy(): DnsPolicy | null;
  /** The nft engine; null when nothing enforces (answers are forwarded, nothing learned). */
  dataplane(): Pick<Dataplane, 'learn'> | null;
  findings: { record(finding: DnsDenyFinding): void } | null;
  /** Counts a query against the group that claimed its client (GET /api/v1/policy/telemetry). */
  telemetry?: { recordHit(sourceGroupId: string): void } | null;
  /** Threat intel: matches every queried name against the feeds' indicators (a hash lookup). */
  threats?: { observeDns(hostname: string, sourceGroup: string): void } | null;
  cache: DnsCache;
  logger: Logger;
  now(): Date;
  /** A TCP connection with no query for this long is closed. */
  tcpIdleTimeoutMs?: number;
}

export interface DnsProxyStats {
  queries: number;
  allowed: number;
  denied: number;
  audited: number;
  servfail: number;
  truncated: number;
  dropped: number;
  learned: number;
  learn_errors: number;
  /** Forwarded queries the upstream answered NXDOMAIN (Neuwerk's nxdomain_upstream). */
  nxdomain_upstream: number;
}

export interface DnsProxy {
  address: { host: string; port: number };
  stats(): DnsProxyStats;
  stop(): Promise<void>;
}

/** Where a source no group claims is reported in findings. */
const UNCLAIMED_GROUP = 'default';
const MAX_TCP_IN_FLIGHT = 64;

export async function createDnsProxy(deps: DnsProxyDeps): Promise<DnsProxy> {
  const upstreams = createUpstreams(deps.upstreams, deps.upstreamTimeoutMs);
  const handler = new QueryHandler(deps, upstreams);
  const { udp, tcp, port } = await bind(parseEndpoint(deps.listen));
  const host = parseEndpoint(deps.listen).host;
  serveUdp(udp, handler, deps.logger);
  const dropConnections = serveTcp(tcp, handler, deps.logger, deps.tcpIdleTimeoutMs ?? 10_000);
  return {
    address: { host, port },
    stats: () => ({ ...handler.stats }),
    async stop() {
      upstreams.close();
      udp.close();
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      dropConnections();
      await closed;
    },
  };
}

class QueryHandler {
  readonly stats: DnsProxyStats = { queries: 0, allowed: 0, denied: 0, audited: 0, servfail: 0, truncated: 0, dropped: 0, learned: 0, learn_errors: 0, nxdomain_upstream: 0 };

  private readonly answers = createAnswerCache();

  constructor(private readonly deps: DnsProxyDeps, private readonly upstreams: Upstreams) {}

  /** The bytes to send back, or null to drop the message (undecodable, or not a query). */
  async handle(message: Buffer, clientIp: string, transport: 'udp' | 'tcp'): Promise<Buffer | null> {
    const query = readQuery(message);
    if (!query) {
      this.stats.dropped++;
      return null;
    }
    this.stats.queries++;
    if (!query.question) return errorAnswer(query, RCODE.FORMERR);
    const q = query as ClientQuery;
    const verdict = dnsVerdict(this.deps.dnsPolicy(), clientIp, q.question.name);
    if (verdict.group) this.deps.telemetry?.recordHit(verdict.group);
    this.deps.threats?.observeDns(normalName(q.question.name), verdict.group ?? UNCLAIMED_GROUP);
    if (!verdict.allow || verdict.audited) this.recordDeny(verdict, q);
    if (!verdict.allow) {
      this.stats.denied++;
      return errorAnswer(q, RCODE.NXDOMAIN);
    }
    this.stats[verdict.audited ? 'audited' : 'allowed']++;
    const answer = this.answers.get(q.question, q.id) ?? (await this.forward(message, q));
    if (!answer) return this.servfail(q);
    if (rcodeOf(answer.message) === RCODE.NXDOMAIN) this.stats.nxdomain_upstream++;
    if (!(await this.learn(verdict, q, answer.decoded))) return this.servfail(q);
    if (transport === 'udp' && answer.message.length > q.udpLimit) {
      this.stats.truncated++;
      return truncatedAnswer(answer.decoded, q);
    }
    return answer.message;
  }

  private async forward(message: Buffer, q: ClientQuery) {
    const answer = await this.upstreams.forward(message, q.question);
    if (answer) this.answers.put(q.question, answer.decoded, isTruncated(answer.message));
    return answer;
  }

  private servfail(q: ClientQuery): Buffer {
    this.stats.servfail++;
    return errorAnswer(q, RCODE.SERVFAIL);
  }

  /**
   * Puts the answer's addresses into the allowing rule's set and the DNS cache. False when the set could not
   * be updated: the client gets SERVFAIL rather than an address its connection would be refused to.
   */
  private async learn(verdict: DnsVerdict, q: ClientQuery, answer: Parameters<typeof addressAnswers>[0]): Promise<boolean> {
    const { ips, ttl } = addressAnswers(answer, q.question.name);
    if (ips.length === 0) return true;
    const dataplane = this.deps.dataplane();
    if (verdict.set && dataplane) {
      // The engine skips addresses whose element already outlives this answer, so a popular name costs no nft call.
      try {
        await dataplane.learn(verdict.set, ips, Math.max(1, ttl + this.deps.ttlGraceS));
        this.stats.learned += ips.length;
      } catch (err) {
        this.stats.learn_errors++;
        this.deps.logger.error({ err, set: verdict.set, ips }, 'DNS proxy could not add answer addresses to the nft set');
        return false;
      }
    }
    this.deps.cache.remember(normalName(q.question.name), ips, Math.floor(this.deps.now().getTime() / 1000));
    return true;
  }

  private recordDeny(verdict: DnsVerdict, q: ClientQuery): void {
    try {
      this.deps.findings?.record({
        finding_type: 'dns_deny',
        policy_id: verdict.policy_id ?? '',
        source_group: verdict.group ?? UNCLAIMED_GROUP,
        hostname: normalName(q.question.name),
        query_type: q.qtype,
        at: Math.floor(this.deps.now().getTime() / 1000),
        node_id: this.deps.nodeId,
      });
    } catch (err) {
      this.deps.logger.warn({ err }, 'DNS proxy could not record a dns_deny finding');
    }
  }
}

/** Binds UDP and TCP to the same port; with port 0 the kernel picks UDP's, and TCP gets the same (retried if taken). */
async function bind(endpoint: { host: string; port: number }): Promise<{ udp: Socket; tcp: Server; port: number }> {
  const type = isIP(endpoint.host) === 6 ? 'udp6' : 'udp4';
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket({ type, reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(endpoint.port, endpoint.host, () => (udp.off('error', reject), resolve()));
    });
    const port = udp.address().port;
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, endpoint.host, () => (tcp.off('error', reject), resolve()));
      });
      return { udp, tcp, port };
    } catch (err) {
      udp.close();
      if (endpoint.port !== 0 || attempt >= 10) throw err;
    }
  }
}

function serveUdp(socket: Socket, handler: QueryHandler, logger: Logger): void {
  socket.on('error', (err) => logger.warn({ err }, 'DNS proxy UDP socket error'));
  socket.on('message', (message, from) => {
    handler
      .handle(message, plainClientIp(from.address), 'udp')
      .then((reply) => {
        if (reply) socket.send(reply, from.port, from.address, () => {});
      })
      .catch((err) => logger.error({ err }, 'DNS proxy failed on a UDP query'));
  });
}

/** Length-framed queries, several per connection and answered as they complete; garbage closes the connection. */
function serveTcp(server: Server, handler: QueryHandler, logger: Logger, idleTimeoutMs: number): () => void {
  const connections = new Set<TcpSocket>();
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    const reader = new FrameReader();
    const clientIp = plainClientIp(socket.remoteAddress ?? '');
    let inFlight = 0;
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      for (const message of reader.push(chunk)) {
        inFlight++;
        if (inFlight >= MAX_TCP_IN_FLIGHT) socket.pause();
        handler
          .handle(message, clientIp, 'tcp')
          .then((reply) => {
            if (!reply) return void socket.destroy();
            if (!socket.destroyed) socket.write(frame(reply));
          })
          .catch((err) => {
            logger.error({ err }, 'DNS proxy failed on a TCP query');
            socket.destroy();
          })
          .finally(() => {
            if (--inFlight < MAX_TCP_IN_FLIGHT && socket.isPaused()) socket.resume();
          });
      }
    });
  });
  return () => connections.forEach((c) => c.destroy());
}
