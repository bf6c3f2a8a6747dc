/** Choosing a gateway from GET /v1/gateway/pools: healthy pools first, each pool's endpoints in order. */
import { isWireguardKey } from './keys.js';

export interface GatewayEndpoint {
  pool_id: string;
  gateway_id: string;
  host: string;
  port: number;
  public_key: string;
  admission_url: string;
  /** The pool's destinations (CIDRs), when the control plane lists them. */
  destinations: string[];
}

/** The gateway agent's default: its admission endpoint listens one port above WireGuard's. */
export const admissionUrlFor = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port + 1}/v1/admit`;

/** Every usable endpoint, in the order to try them. Accepts a bare list or {pools: [...]}. */
export function gatewayCandidates(body: unknown): GatewayEndpoint[] {
  const pools: any[] = Array.isArray(body) ? body : Array.isArray((body as { pools?: unknown })?.pools) ? (body as { pools: any[] }).pools : [];
  const ordered = [...pools.filter((p) => p?.healthy !== false), ...pools.filter((p) => p?.healthy === false)];
  return ordered.flatMap((pool) =>
    (Array.isArray(pool?.endpoints) ? pool.endpoints : [])
      .filter((e: any) => typeof e?.host === 'string' && Number.isInteger(Number(e?.port)) && isWireguardKey(e?.public_key))
      .map((e: any) => ({
        pool_id: String(pool.pool_id ?? pool.id ?? ''),
        gateway_id: String(e.gateway_id ?? ''),
        host: e.host,
        port: Number(e.port),
        public_key: e.public_key,
        admission_url: typeof e.admission_url === 'string' && e.admission_url ? e.admission_url : admissionUrlFor(e.host, Number(e.port)),
        destinations: (Array.isArray(pool.destinations) ? pool.destinations : []).filter((d: unknown): d is string => typeof d === 'string' && d.includes('/')),
      })),
  );
}
