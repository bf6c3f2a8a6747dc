/**
 * A small routed site for edge (AiFw) tests: a LAN with a client and a server behind an edge router running a real
 * `rampart serve` (data plane on), and a WAN with hosts.
 *
 *   lan   (client)  eth0 10.240.1.10/24, default via 10.240.1.1
 *   srv   (server)  eth0 10.240.1.20/24, default via 10.240.1.1
 *   sw    (switch)  bridge br0 joining lan, srv and the edge's LAN port
 *   edge  (router)  lan0 10.240.1.1/24, wan0 10.241.0.1/24, forwards IPv4; Rampart's API on a unix socket
 *   wan   (outside) w0 10.241.0.2/24 plus 10.241.0.3-.9 as further hosts; no route to 10.240.0.0/16, so LAN traffic
 *                   only reaches it translated (masquerade), and LAN servers only through a port forward (dnat)
 *
 * Those are the default addresses; create(addressing) puts the same topology elsewhere (the VM lab uses 10.243/16).
 *
 * Namespace names start with `rpf<pid>-`; how they are made, joined and removed: lab-base.ts.
 */
import { waitFor } from './wait.js';
import { NamespaceLab, type ServeOptions, type ServingRampart, type Spawned } from './lab-base.js';

export { adminApi, socketCall, type Answer } from './socket-api.js';
export type { Spawned } from './lab-base.js';

export const LAN_CLIENT = '10.240.1.10';
export const LAN_SERVER = '10.240.1.20';
export const EDGE_LAN = '10.240.1.1';
export const EDGE_WAN = '10.241.0.1';
export const WAN_HOST = '10.241.0.2';
/** Further WAN hosts (addresses of the wan namespace), for aliases with several members. */
export const WAN_HOSTS = ['10.241.0.2', '10.241.0.3', '10.241.0.4', '10.241.0.5'];
export const EDGE_LAN_IF = 'lan0';

/** Where the lab's hosts sit (every network a /24); the defaults above unless a test needs its own range. */
export interface EdgeAddressing {
  lanClient: string;
  lanServer: string;
  edgeLan: string;
  edgeWan: string;
  /** The wan namespace's addresses, the first its main one. */
  wanHosts: string[];
}
export const DEFAULT_ADDRESSING: EdgeAddressing = { lanClient: LAN_CLIENT, lanServer: LAN_SERVER, edgeLan: EDGE_LAN, edgeWan: EDGE_WAN, wanHosts: WAN_HOSTS };
export const EDGE_WAN_IF = 'wan0';

export type EdgeRole = 'lan' | 'srv' | 'sw' | 'edge' | 'wan';

export class EdgeLab extends NamespaceLab<EdgeRole> {
  static create(addressing: EdgeAddressing = DEFAULT_ADDRESSING): EdgeLab {
    return new EdgeLab(addressing).open();
  }

  private constructor(readonly addr: EdgeAddressing) {
    super('rpf', { sw: 'sw', lan: 'lan', srv: 'srv', edge: 'edge', wan: 'wan' });
  }

  protected build(): void {
    const { lanClient, lanServer, edgeLan, edgeWan, wanHosts } = this.addr;
    this.bridge('sw');
    this.bridgePort('sw', 'p-lan', 'lan', 'eth0');
    this.bridgePort('sw', 'p-srv', 'srv', 'eth0');
    this.bridgePort('sw', 'p-edge', 'edge', EDGE_LAN_IF);
    this.veth('edge', EDGE_WAN_IF, 'wan', 'w0');
    this.addresses('lan', 'eth0', [`${lanClient}/24`]);
    this.addresses('srv', 'eth0', [`${lanServer}/24`]);
    this.addresses('edge', EDGE_LAN_IF, [`${edgeLan}/24`]);
    this.addresses('edge', EDGE_WAN_IF, [`${edgeWan}/24`]);
    this.addresses('wan', 'w0', wanHosts.map((a) => `${a}/24`));
    this.route('lan', 'default', edgeLan);
    this.route('srv', 'default', edgeLan);
    this.forwardIpv4('edge', { shortTcpTeardown: true });
  }

  /**
   * An HTTP server in a namespace answering `hello from <local address> to <client address>`, so a test sees both
   * which server answered and the source address it saw (translated or not). Resolves once it listens.
   */
  async serveHttp(role: EdgeRole, address: string, port: number): Promise<Spawned> {
    const script = `require('node:http').createServer((req, res) => res.end('hello from ' + req.socket.localAddress + ' to ' + req.socket.remoteAddress + '\\n'))
      .listen(Number(process.argv[2]), process.argv[1], () => console.log('listening'));`;
    const server = this.spawn(role, process.execPath, ['-e', script, address, String(port)]);
    await waitFor(`an HTTP server on ${address}:${port} in ${role}`, () => server.output().includes('listening'), 30_000);
    return server;
  }

  /**
   * One HTTP GET from a namespace (curl, 2 s to connect): the answer's text, or null when the connection failed
   * (dropped, refused, unreachable). `source` picks the client address among the namespace's own.
   */
  async httpGet(role: EdgeRole, address: string, port: number, source?: string): Promise<string | null> {
    const args = ['-s', '--connect-timeout', '2', '--max-time', '4', ...(source ? ['--interface', source] : []), `http://${address}:${port}/`];
    const { status, output } = await this.run(role, 'curl', args);
    return status === 0 ? output.trim() : null;
  }

  /** The edge's Rampart (see serveRampart), data plane on. */
  startRampart(opts: ServeOptions): Promise<ServingRampart> {
    // The egress proxy's DNS listener must not take the edge's port 53 on every address.
    return this.serveRampart('edge', { ...opts, env: { RAMPART_EGRESS_DNS_LISTEN: '127.0.0.1:5399', ...opts.env } });
  }

  /** The edge's ruleset, as `nft list ruleset` prints it in its namespace (for assertion messages). */
  ruleset(): string {
    return this.exec('edge', 'nft', ['list', 'ruleset'], true).stdout;
  }
}
