import { BlockList, isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/**
 * Which peers may speak for the client through X-Forwarded-For, -Proto and -Host: the reverse proxies the operator
 * listed (server.trusted_proxies: addresses, CIDRs, or "unix" for a proxy on this host's unix socket). Anyone else
 * could forge those headers, so from anyone else they are ignored.
 */
export interface ProxyTrust {
  /** Whether the peer at this address (undefined: a unix socket) is a trusted proxy. */
  trusts(address: string | undefined): boolean;
}

export const trustNoProxy: ProxyTrust = { trusts: () => false };

/** Entries are checked by the config schema (server.trusted_proxies). */
export function proxyTrust(entries: string[]): ProxyTrust {
  if (entries.length === 0) return trustNoProxy;
  const list = new BlockList();
  let unix = false;
  for (const entry of entries) {
    if (entry === 'unix') unix = true;
    else {
      const [address, prefix] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
  }
  return {
    trusts(address) {
      if (address === undefined) return unix;
      const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]; // an IPv4 peer on a dual-stack socket
      const plain = v4 ?? address;
      return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

/** A forwarded header's value as the trusted proxy in front set it (its last entry), or undefined. */
export function forwardedBy(req: FastifyRequest, trust: ProxyTrust, name: 'x-forwarded-proto' | 'x-forwarded-host'): string | undefined {
  const value = req.headers[name];
  if (typeof value !== 'string' || !trust.trusts(req.raw.socket?.remoteAddress)) return undefined;
  const last = value.split(',').pop()!.trim();
  return last || undefined;
}

/** How requests reach this server: over its own TLS or not, and through which trusted proxies. */
export interface Transport {
  /** Rampart itself serves HTTPS (no server.insecure_http). */
  tls: boolean;
  proxies: ProxyTrust;
}

/** Whether the client reached Rampart over https: served over TLS here, or a trusted proxy says it terminated https. */
export function isSecureRequest(req: FastifyRequest, transport: Transport): boolean {
  if (transport.tls || (req.raw.socket as { encrypted?: boolean } | undefined)?.encrypted) return true;
  return forwardedBy(req, transport.proxies, 'x-forwarded-proto')?.toLowerCase() === 'https';
}
