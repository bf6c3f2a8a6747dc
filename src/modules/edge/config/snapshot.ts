import { createHash } from 'node:crypto';
import { errors } from '../../../core/errors.js';
import type { ConfigSection } from '../edge.types.js';

/** The snapshot's format version (AiFw's FirewallConfig schema_version). */
export const SCHEMA_VERSION = 1;

/** A configuration snapshot: schema_version plus every registered section's export, by section name. */
export type Snapshot = { schema_version: number } & Record<string, unknown>;

/**
 * Top-level keys of AiFw's FirewallConfig that have no section on this box yet (its system, auth, VPN, DHCP ...).
 * A file exported by AiFw carries them: they are accepted and reported as not imported, never an error.
 */
export const AIFW_ONLY_KEYS = new Set([
  'system', 'auth', 'queues', 'rate_limits', 'vpn', 'tls', 'ha', 'tuning', 'dhcp', 'dns_resolver', 'syslog', 'log_rotation', 'secrets',
]);

/** JSON with object keys sorted at every level: the same configuration always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function hashOf(snapshot: Snapshot): string {
  return createHash('sha256').update(canonicalJson(snapshot)).digest('hex');
}

/** Every registered section's export, in the sections' order, beside schema_version. */
export async function takeSnapshot(sections: ConfigSection[]): Promise<Snapshot> {
  const snapshot: Snapshot = { schema_version: SCHEMA_VERSION };
  for (const section of sections) snapshot[section.name] = await section.export();
  return snapshot;
}

/** Items a section holds: its array's length, or 1 for a non-empty object section, 0 otherwise. */
function countOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (value && typeof value === 'object') return Object.keys(value).length > 0 ? 1 : 0;
  return 0;
}

/** AiFw's resource_count: the entries of every section. */
export function resourceCount(snapshot: Snapshot): number {
  return Object.entries(snapshot).reduce((n, [key, value]) => (key === 'schema_version' ? n : n + countOf(value)), 0);
}

/**
 * Checks a snapshot read from a file, a stored version or S3 before anything is imported from it: an object with a
 * supported schema_version whose other keys are registered sections or AiFw sections this box lacks.
 */
export function validateSnapshot(value: unknown, sectionNames: string[]): { snapshot: Snapshot; ignored: string[] } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw errors.validation('config must be an object');
  const raw = value as Record<string, unknown>;
  const version = raw.schema_version ?? SCHEMA_VERSION;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > SCHEMA_VERSION) {
    throw errors.validation(`unsupported schema_version ${JSON.stringify(version)}: expected 1..${SCHEMA_VERSION}`);
  }
  const known = new Set(sectionNames);
  const snapshot: Snapshot = { schema_version: version };
  const ignored: string[] = [];
  for (const [key, section] of Object.entries(raw)) {
    if (key === 'schema_version') continue;
    if (known.has(key)) snapshot[key] = section;
    else if (AIFW_ONLY_KEYS.has(key)) ignored.push(key);
    else throw errors.validation(`config has an unknown section: ${key.slice(0, 64)}`);
  }
  return { snapshot, ignored };
}

/** AiFw's interface_map: backup name -> name on this box, or null to drop what is on that interface. */
export type InterfaceMap = Record<string, string | null>;

/** The fields naming an interface in the sections' entries (rules, NAT, routes: interface; VLANs: parent). */
const INTERFACE_FIELDS = ['interface', 'parent'];

function interfaceFieldsOf(section: string): string[] {
  return section === 'interfaces' ? ['name'] : INTERFACE_FIELDS;
}

/** Every interface name the snapshot's entries refer to. */
export function interfaceRefs(snapshot: Snapshot): string[] {
  const found = new Set<string>();
  for (const [section, value] of Object.entries(snapshot)) {
    if (!Array.isArray(value)) continue;
    for (const entry of value) {
      if (!entry || typeof entry !== 'object') continue;
      for (const field of interfaceFieldsOf(section)) {
        const name = (entry as Record<string, unknown>)[field];
        if (typeof name === 'string' && name && name !== 'any') found.add(name);
      }
    }
  }
  return [...found].sort();
}

/** Entries per section on interfaces in `missing` (dropped if those stay unmapped). */
export function dropCounts(snapshot: Snapshot, missing: Set<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [section, value] of Object.entries(snapshot)) {
    if (!Array.isArray(value)) continue;
    counts[section] = value.filter((entry) => onInterface(section, entry, (name) => missing.has(name))).length;
  }
  return counts;
}

function onInterface(section: string, entry: unknown, test: (name: string) => boolean): boolean {
  if (!entry || typeof entry !== 'object') return false;
  return interfaceFieldsOf(section).some((field) => {
    const name = (entry as Record<string, unknown>)[field];
    return typeof name === 'string' && test(name);
  });
}

/** The snapshot with interfaces renamed per the map; entries on an interface mapped to null are left out. */
export function applyInterfaceMap(snapshot: Snapshot, map: InterfaceMap): Snapshot {
  if (Object.keys(map).length === 0) return snapshot;
  const out: Snapshot = { schema_version: snapshot.schema_version };
  for (const [section, value] of Object.entries(snapshot)) {
    if (section === 'schema_version') continue;
    if (!Array.isArray(value)) {
      out[section] = value;
      continue;
    }
    out[section] = value
      .filter((entry) => !onInterface(section, entry, (name) => Object.hasOwn(map, name) && map[name] === null))
      .map((entry) => {
        if (!entry || typeof entry !== 'object') return entry;
        const copy = { ...(entry as Record<string, unknown>) };
        for (const field of interfaceFieldsOf(section)) {
          const name = copy[field];
          if (typeof name === 'string' && Object.hasOwn(map, name) && map[name]) copy[field] = map[name];
        }
        return copy;
      });
  }
  return out;
}

export interface CountDiff {
  added: number;
  removed: number;
  /** Entries present in both with the same id whose contents differ (Rampart's addition). */
  changed: number;
  v1_count: number;
  v2_count: number;
}

/** Entries added, removed and changed between two versions of a section, matched by id (else by content). */
export function sectionDiff(a: unknown, b: unknown): CountDiff {
  const left = Array.isArray(a) ? a : countOf(a) ? [a] : [];
  const right = Array.isArray(b) ? b : countOf(b) ? [b] : [];
  const keyOf = (entry: unknown) => {
    const id = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).id : undefined;
    return typeof id === 'string' || typeof id === 'number' ? `id:${id}` : `json:${canonicalJson(entry)}`;
  };
  const leftByKey = new Map(left.map((e) => [keyOf(e), canonicalJson(e)]));
  const rightByKey = new Map(right.map((e) => [keyOf(e), canonicalJson(e)]));
  let added = 0;
  let changed = 0;
  for (const [key, json] of rightByKey) {
    const before = leftByKey.get(key);
    if (before === undefined) added++;
    else if (before !== json) changed++;
  }
  const removed = [...leftByKey.keys()].filter((key) => !rightByKey.has(key)).length;
  return { added, removed, changed, v1_count: left.length, v2_count: right.length };
}
