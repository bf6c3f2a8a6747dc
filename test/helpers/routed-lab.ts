/**
 * Three namespaces in a line, for egress tests: client ── gateway ── upstream.
 *
 *   client   c0 10.20.0.2/24, default route via 10.20.0.1
 *   gateway  g0 10.20.0.1/24, g1 198.51.100.1/24, forwards IPv4, route to 203.0.113.0/24 via the upstream
 *   upstream u0 198.51.100.2/24, the test's "internet" addresses 203.0.113.x/32 on lo, route back via the gateway
 *
 * Namespace names start with `rpe<pid>-`; how they are made, joined and removed: lab-base.ts.
 */
import { NamespaceLab, type ServeOptions, type ServingRampart } from './lab-base.js';

export type { Spawned } from './lab-base.js';

export const CLIENT_IP = '10.20.0.2';
export const GATEWAY_CLIENT_SIDE = '10.20.0.1';
export const GATEWAY_UPSTREAM_SIDE = '198.51.100.1';
export const UPSTREAM_IP = '198.51.100.2';

type Role = 'client' | 'gateway' | 'upstream';

export class RoutedLab extends NamespaceLab<Role> {
  /** internetAddresses: 203.0.113.x addresses the upstream answers on. */
  static create(internetAddresses: string[]): RoutedLab {
    return new RoutedLab(internetAddresses).open();
  }

  private constructor(private readonly internetAddresses: string[]) {
    super('rpe', { client: 'c', gateway: 'g', upstream: 'u' });
  }

  protected build(): void {
    this.veth('gateway', 'g0', 'client', 'c0');
    this.veth('gateway', 'g1', 'upstream', 'u0');
    this.addresses('client', 'c0', [`${CLIENT_IP}/24`]);
    this.addresses('gateway', 'g0', [`${GATEWAY_CLIENT_SIDE}/24`]);
    this.addresses('gateway', 'g1', [`${GATEWAY_UPSTREAM_SIDE}/24`]);
    this.addresses('upstream', 'u0', [`${UPSTREAM_IP}/24`]);
    for (const address of this.internetAddresses) this.ipIn('upstream', ['addr', 'add', `${address}/32`, 'dev', 'lo']);
    this.route('client', 'default', GATEWAY_CLIENT_SIDE);
    this.route('gateway', '203.0.113.0/24', UPSTREAM_IP);
    this.route('upstream', '10.20.0.0/16', GATEWAY_UPSTREAM_SIDE);
    this.forwardIpv4('gateway', { shortTcpTeardown: true });
  }

  /** Rampart as the egress gateway (see serveRampart), its DNS proxy on the client side. */
  startGatewayRampart(opts: ServeOptions & { nodeId: string }): Promise<ServingRampart> {
    return this.serveRampart('gateway', {
      ...opts,
      env: {
        RAMPART_EGRESS_NODE_ID: opts.nodeId,
        RAMPART_EGRESS_DNS_LISTEN: `${GATEWAY_CLIENT_SIDE}:53`,
        RAMPART_EGRESS_DNS_UPSTREAMS: `${UPSTREAM_IP}:53`,
        RAMPART_EGRESS_POLL_INTERVAL_MS: '300',
        ...opts.env,
      },
    });
  }
}
