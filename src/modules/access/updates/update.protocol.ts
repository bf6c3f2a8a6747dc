/**
 * What the server and `rampart agent device` agree on for signed updates (docs/access.md#agent-updates): the
 * manifest, the text its signature covers, and version order. Free of server code, so the agent imports it too.
 */

export interface UpdateManifest {
  version: string;
  min_supported: string | null;
  channel: string;
  platform: string;
  url: string;
  sha256: string;
  size: number;
  algorithm: 'Ed25519';
  kid: string;
  signature: string;
}

/** The signed text: these lines, in this order. */
export const manifestSigningInput = (m: Pick<UpdateManifest, 'channel' | 'platform' | 'version' | 'min_supported' | 'sha256' | 'size'>) =>
  ['rampart-agent-update/v1', m.channel, m.platform, m.version, m.min_supported ?? '', m.sha256, String(m.size)].join('\n');

/** Semantic-version order (a pre-release sorts before its release; a missing part counts as 0). */
export function compareVersions(a: string, b: string): number {
  const [ma, pa] = a.split(/-(.*)/s);
  const [mb, pb] = b.split(/-(.*)/s);
  const na = ma.split('.').map(Number);
  const nb = mb.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (na[i] !== nb[i]) return (na[i] || 0) - (nb[i] || 0);
  if (pa === pb) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  return pa < pb ? -1 : 1;
}
