/**
 * The DNS proxy: UDP and TCP on one address. Each query gets the verdict of the running DNS policy; a denied
 * one is answered NXDOMAIN here, an allowed one is forwarded upstream and its A answers are put into the
 * allowing rule's nft set before the client sees them, so the connection it opens next is let through.
 */
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { lookup } from 'node:dns';
import { createServer, isIP, type Server, type Socket as TcpSocket } from 'node:net';
import type { Logger } from 'pino';
import type { DnsPolicy } from '../compiler/compiled.types.js';
import type { Dataplane } from '../dataplane/dataplane.types.js';
import type { DnsCache } from './dns-cache.js';
import { countedIpTtl, createAnswerCache, type CachedAnswer } from './answer-cache.js';
import { errorAnswer, fitAnswer, RCODE, truncatedAnswer } from './dns-messages.js';
import { plainClientIp, type DnsVerdict } from './dns-verdict.js';
import { lowerAscii, queryVariant, readQuery, type WireAnswer, type WireQuery } from './dns-wire.js';
import { createVerdictCache } from './verdict-cache.js';
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
  dataplane(): Pick<Dataplane, 'learn' | 'knows'> | null;
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
  /** Allowed queries answered from the answer cache, without asking upstream. */
  cache_hits: number;
}

export interface DnsProxy {
  address: { host: string; port: number };
  stats(): DnsProxyStats;
  stop(): Promise<void>;
}

/** Where a source no group claims is reported in findings. */
const UNCLAIMED_GROUP = 'default';
const MAX_TCP_IN_FLIGHT = 64;

/** A query with its one question. */
type AskedQuery = WireQuery & { question: Buffer };

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

type Reply = Buffer | null;

class QueryHandler {
  readonly stats: DnsProxyStats = {
    queries: 0, allowed: 0, denied: 0, audited: 0, servfail: 0, truncated: 0, dropped: 0, learned: 0, learn_errors: 0, nxdomain_upstream: 0, cache_hits: 0,
  };

  private readonly answers = createAnswerCache();
  private readonly verdicts = createVerdictCache();
  /** Upstream queries in flight by answer-cache key: clients asking the same question meanwhile share one. */
  private readonly inFlight = new Map<string, Promise<WireAnswer | null>>();

  constructor(private readonly deps: DnsProxyDeps, private readonly upstreams: Upstreams) {}

  /**
   * The bytes to send back, or null to drop the message (undecodable, or not a query). Answered at once (no
   * promise) when the verdict and the answer are at hand and the set already holds the addresses: the warm path.
   */
  handle(message: Buffer, clientIp: string, transport: 'udp' | 'tcp'): Reply | Promise<Reply> {
    const query = readQuery(message);
    if (!query) {
      this.stats.dropped++;
      return null;
    }
    this.stats.queries++;
    if (!query.question) return errorAnswer(query, RCODE.FORMERR);
    const q = query as AskedQuery;
    const raw = q.question.toString('latin1');
    const { verdict, name } = this.verdicts.get(this.deps.dnsPolicy(), clientIp, q.question, raw);
    if (verdict.group) this.deps.telemetry?.recordHit(verdict.group);
    this.deps.threats?.observeDns(name, verdict.group ?? UNCLAIMED_GROUP);
    if (!verdict.allow || verdict.audited) this.recordDeny(verdict, name, q.qtype);
    if (!verdict.allow) {
      this.stats.denied++;
      return errorAnswer(q, RCODE.NXDOMAIN);
    }
    this.stats[verdict.audited ? 'audited' : 'allowed']++;
    const lowered = lowerAscii(q.question);
    const key = queryVariant(q) + (lowered === q.question ? raw : lowered.toString('latin1'));
    const cached = this.answers.get(key);
    if (!cached) return this.forward(message, q, key, name, verdict, transport);
    this.stats.cache_hits++;
    const learning = this.learn(verdict, name, cached.answer.ips, countedIpTtl(cached), cached);
    if (learning === true) return this.reply(cached.counted, q, transport);
    if (learning === false) return this.servfail(q);
    return learning.then((ok) => (ok ? this.reply(cached.counted, q, transport) : this.servfail(q)));
  }

  /** Asks upstream (or joins the same question in flight), caches, learns, answers. */
  private async forward(message: Buffer, q: AskedQuery, key: string, name: string, verdict: DnsVerdict, transport: 'udp' | 'tcp'): Promise<Reply> {
    let asking = this.inFlight.get(key);
    if (!asking) {
      // Cached before it leaves the in-flight map, so a client asking meanwhile finds one or the other.
      asking = this.upstreams
        .forward(message, q.question)
        .then((answer) => {
          if (answer) this.answers.put(key, answer, name);
          return answer;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, asking);
    }
    const answer = await asking;
    if (!answer) return this.servfail(q);
    if (answer.rcode === RCODE.NXDOMAIN) this.stats.nxdomain_upstream++;
    const learning = this.learn(verdict, name, answer.ips, answer.ipTtl, null);
    if (!(learning === true || (learning !== false && (await learning)))) return this.servfail(q);
    return this.reply(answer.message, q, transport);
  }

  /** The answer for this client; over UDP cut to a bare truncated answer when longer than it accepts. */
  private reply(answer: Buffer, q: AskedQuery, transport: 'udp' | 'tcp'): Buffer {
    if (transport === 'udp' && answer.length > q.udpLimit) {
      this.stats.truncated++;
      return truncatedAnswer(answer, q);
    }
    return fitAnswer(answer, q);
  }

  private servfail(q: AskedQuery): Buffer {
    this.stats.servfail++;
    return errorAnswer(q, RCODE.SERVFAIL);
  }

  /**
   * Puts the answer's addresses into the allowing rule's set and the DNS cache. True when done (or nothing to
   * do) without waiting; a promise when nft has to add them first; false (or a promise of false) when the set
   * could not be updated: the client gets SERVFAIL rather than an address its connection would be refused to.
   */
  private learn(verdict: DnsVerdict, name: string, ips: string[], ttl: number, cached: CachedAnswer | null): boolean | Promise<boolean> {
    if (ips.length === 0) return true;
    const dataplane = this.deps.dataplane();
    if (verdict.set && dataplane) {
      const seconds = Math.max(1, ttl + this.deps.ttlGraceS);
      this.stats.learned += ips.length;
      // An address the set already holds for long enough needs no nft call: the answer goes out now.
      if (!dataplane.knows?.(verdict.set, ips, seconds)) {
        return dataplane.learn(verdict.set, ips, seconds).then(
          () => this.remember(name, ips, cached),
          (err: unknown) => {
            this.stats.learn_errors++;
            this.deps.logger.error({ err, set: verdict.set, ips }, 'DNS proxy could not add answer addresses to the nft set');
            return false;
          },
        );
      }
    }
    return this.remember(name, ips, cached);
  }

  /** Into the DNS cache (names and addresses handed out); a cached answer at most once a second, which is its resolution. */
  private remember(name: string, ips: string[], cached: CachedAnswer | null): true {
    const at = Math.floor(this.deps.now().getTime() / 1000);
    if (cached?.rememberedAt === at) return true;
    if (cached) cached.rememberedAt = at;
    this.deps.cache.remember(name, ips, at);
    return true;
  }

  private recordDeny(verdict: DnsVerdict, name: string, qtype: number): void {
    try {
      this.deps.findings?.record({
        finding_type: 'dns_deny',
        policy_id: verdict.policy_id ?? '',
        source_group: verdict.group ?? UNCLAIMED_GROUP,
        hostname: name,
        query_type: qtype,
        at: Math.floor(this.deps.now().getTime() / 1000),
        node_id: this.deps.nodeId,
      });
    } catch (err) {
      this.deps.logger.warn({ err }, 'DNS proxy could not record a dns_deny finding');
    }
  }
}

/**
 * Replies go to the address a query came from, always a literal: answered at once, where dns.lookup would defer
 * every send by a tick. A configured listen host that is a name still resolves.
 */
const literalFirst: SocketOptions['lookup'] = (address, options, callback) => {
  const family = isIP(address);
  if (family) return callback(null, address, family);
  lookup(address, options, callback);
};

/** Binds UDP and TCP to the same port; with port 0 the kernel picks UDP's, and TCP gets the same (retried if taken). */
async function bind(endpoint: { host: string; port: number }): Promise<{ udp: Socket; tcp: Server; port: number }> {
  const type = isIP(endpoint.host) === 6 ? 'udp6' : 'udp4';
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket({ type, reuseAddr: false, lookup: literalFirst });
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

/** The handler's reply to `send`, now when it has one at hand, else once its promise settles. */
function answer(handler: QueryHandler, message: Buffer, clientIp: string, transport: 'udp' | 'tcp', send: (reply: Reply) => void, fail: (err: unknown) => void): void {
  let reply: Reply | Promise<Reply>;
  try {
    reply = handler.handle(message, clientIp, transport);
  } catch (err) {
    return fail(err);
  }
  if (reply instanceof Promise) reply.then(send).catch(fail);
  else send(reply);
}

function serveUdp(socket: Socket, handler: QueryHandler, logger: Logger): void {
  socket.on('error', (err) => logger.warn({ err }, 'DNS proxy UDP socket error'));
  const fail = (err: unknown) => logger.error({ err }, 'DNS proxy failed on a UDP query');
  socket.on('message', (message, from) => {
    answer(handler, message, plainClientIp(from.address), 'udp', (reply) => {
      if (reply) socket.send(reply, from.port, from.address, () => {});
    }, fail);
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
        let done = false;
        const settled = () => {
          if (done) return;
          done = true;
          if (--inFlight < MAX_TCP_IN_FLIGHT && socket.isPaused()) socket.resume();
        };
        answer(handler, message, clientIp, 'tcp', (reply) => {
          settled();
          if (!reply) return void socket.destroy();
          if (!socket.destroyed) socket.write(frame(reply));
        }, (err) => {
          settled();
          logger.error({ err }, 'DNS proxy failed on a TCP query');
          socket.destroy();
        });
      }
    });
  });
  return () => connections.forEach((c) => c.destroy());
}
