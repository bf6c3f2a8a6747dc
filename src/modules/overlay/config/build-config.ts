/**
 * One node's Nebula config.yml, built from plain data. The YAML must be byte-stable for the same input,
 * because the device config's ETag is its sha256: every map is rendered with sorted keys and every list whose
 * order means nothing to nebula is sorted here.
 */
import { lazyRequire } from '../../../core/lazy-require.js';

const yaml = lazyRequire<typeof import('yaml')>('yaml');
import type { ConfigNodeInput, InlinePkiInput, NodeConfigInput, PeerNodeInput } from './config.types.js';
import { firewallSection } from './firewall-section.js';

const DEFAULT_TUN_DEVICE = 'nebula1';
const DEFAULT_LISTEN_PORT = 4242;
const DEFAULT_LIGHTHOUSE_INTERVAL_SECONDS = 60;

export type NebulaConfig = ReturnType<typeof buildNodeConfig>;

/** Numeric order for dotted IPv4 (10.0.0.9 before 10.0.0.10), plain string order otherwise. */
function compareIps(a: string, b: string): number {
  const key = (ip: string) => ip.split('.').map((part) => part.padStart(3, '0')).join('.');
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

const sortedUnique = (values: string[], compare?: (a: string, b: string) => number) => [...new Set(values)].sort(compare);

/** Options left unset (undefined, or null in stored JSON) must not override a default, nor render as null. */
function definedOnly<T extends object>(options: T | null | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, value]) => value != null)) as Partial<T>;
}

/** A PEM block with exactly one trailing newline, so equal keys render equally. */
const pem = (text: string) => `${text.trimEnd()}\n`;

function pkiSection(pki: InlinePkiInput, blocklist: string[]) {
  return {
    ca: pem(pki.ca),
    cert: pem(pki.cert),
    ...(pki.key === null ? {} : { key: pem(pki.key) }),
    // nebula compares lowercase hex fingerprints.
    blocklist: sortedUnique(blocklist.map((fp) => fp.trim().toLowerCase())),
  };
}

/** Lighthouses and relays must be reachable before any lighthouse has answered, so their endpoints are static. */
function staticHostMap(peers: PeerNodeInput[]): Record<string, string[]> {
  const known = peers.filter((p) => (p.is_lighthouse || p.is_relay) && p.public_endpoint);
  const ips = sortedUnique(known.map((p) => p.ip), compareIps);
  return Object.fromEntries(
    ips.map((ip) => [ip, sortedUnique(known.filter((p) => p.ip === ip).map((p) => p.public_endpoint!.trim()))]),
  );
}

function lighthouseSection(node: ConfigNodeInput, peers: PeerNodeInput[]) {
  return {
    am_lighthouse: node.is_lighthouse,
    interval: node.lighthouse_options?.interval_seconds ?? DEFAULT_LIGHTHOUSE_INTERVAL_SECONDS,
    // A lighthouse queries no other lighthouse.
    hosts: node.is_lighthouse ? [] : sortedUnique(peers.filter((p) => p.is_lighthouse).map((p) => p.ip), compareIps),
  };
}

function relaySection(node: ConfigNodeInput, peers: PeerNodeInput[]) {
  return {
    am_relay: node.is_relay,
    use_relays: true,
    // nebula ignores (and warns about) relays on a node that is itself a relay.
    relays: node.is_relay ? [] : sortedUnique(peers.filter((p) => p.is_relay).map((p) => p.ip), compareIps),
  };
}

export function buildNodeConfig(input: NodeConfigInput) {
  const { node } = input;
  const peers = input.peers.filter((p) => p.ip !== node.ip);
  return {
    pki: pkiSection(input.pki, input.blocklist),
    static_host_map: staticHostMap(peers),
    lighthouse: lighthouseSection(node, peers),
    relay: relaySection(node, peers),
    listen: { host: '0.0.0.0', port: node.listen_port ?? DEFAULT_LISTEN_PORT },
    punchy: { punch: true, respond: true, ...definedOnly(node.punchy_options) },
    tun: { disabled: false, dev: node.tun_device ?? DEFAULT_TUN_DEVICE, mtu: 1300 },
    logging: { level: 'info', format: 'text', ...definedOnly(node.logging_options) },
    firewall: firewallSection(node.groups, input.group_firewalls),
  };
}

const YAML_OPTIONS = { version: '1.1', sortMapEntries: true, aliasDuplicateObjects: false } as const;

/**
 * YAML 1.1 quoting, because nebula parses with go-yaml v2: a group named 'yes' or 'on' must stay a string there.
 * No anchors: a shared rule object would otherwise become an alias, which sorting can place before its anchor.
 *
 * Rendered section by section: with sorted keys and no anchors, a block map's top-level entries render
 * independently, so the document is the concatenation of its sections rendered alone (the unit test holds the two
 * equal). Every section but pki is shared by many nodes of a network (its firewall per set of groups, its
 * lighthouses and relays per role), and the YAML library spends over a millisecond on them per config, which a
 * fleet pays on every poll after a change: their text is remembered by content (sectionTexts). pki holds the
 * node's own certificate and key and is rendered each time (and never kept).
 */
export function renderConfig(config: NebulaConfig): string {
  let out = '';
  for (const key of (Object.keys(config) as (keyof NebulaConfig)[]).sort()) {
    const section = { [key]: config[key] };
    out += key === 'pki' ? yaml().stringify(section, YAML_OPTIONS) : sectionTexts.text(section);
  }
  return out;
}

/** Rendered sections by their content, bounded: emptied when full (a network has a handful of distinct sections). */
const sectionTexts = (() => {
  const MAX_SECTIONS = 4096;
  const texts = new Map<string, string>();
  return {
    text(section: object): string {
      const key = JSON.stringify(section, exactNumbers);
      let text = texts.get(key);
      if (text === undefined) {
        if (texts.size >= MAX_SECTIONS) texts.clear();
        text = yaml().stringify(section, YAML_OPTIONS);
        texts.set(key, text);
      }
      return text;
    },
  };
})();

/**
 * JSON writes -0, NaN and the infinities as 0 or null, where YAML writes them apart: tag them so two sections that
 * render differently never share a key. (A NUL cannot come from stored input: the HTTP kit refuses it.)
 */
function exactNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0)) ? { '\u0000number': String(Object.is(value, -0) ? '-0' : value) } : value;
}
