/**
 * The contracts between the edge module's parts (AiFw's API on Linux: docs/edge.md). Each part lives in its own
 * folder with its tables, service and routes:
 *
 *   firewall/  rules, aliases, schedules (enforced), NAT, geo-IP; the compiler to Rampart's own nftables table and
 *              its atomic apply; `nat/pf-output`; the schedule boundary timer
 *   network/   interfaces (list, detailed, config, stats, roles), VLANs, static routes and the kernel table,
 *              connections (conntrack), blocked traffic and logs (nflog)
 *   frame/     what every AiFw page calls: status, about, metrics (list, series, retention), the metrics
 *              WebSocket, pending changes (GET + SSE) and POST /api/v1/reload
 *   config/    configuration versions (history, diff, check, export, import, save, restore, retention),
 *              commit-confirm (persisted, survives a restart), OPNsense import, S3 backups
 *
 * Parts never import each other's stores or services. They meet through EdgeHooks (edge.services.ts wires them)
 * and the core event bus (EDGE_CHANGED below).
 */

/** The nflog group the firewall logs blocked packets to and the network part reads (blocked list, logs). */
export const NFLOG_GROUP = 1;

/** What a write leaves to be applied by POST /api/v1/reload (AiFw's pending flags). */
export type PendingKind = 'firewall' | 'nat' | 'dns';

/**
 * A section of the box's configuration, as the configuration snapshot holds it (AiFw's FirewallConfig has rules,
 * nat, aliases, static_routes ...). The part owning the data registers it; the config part snapshots, diffs and
 * restores through it, so a restore or a commit-confirm revert covers every section.
 */
export interface ConfigSection {
  /** The snapshot key: 'rules', 'nat', 'aliases', 'schedules', 'geoip', 'vlans', 'static_routes', 'interfaces'. */
  name: string;
  /** The section's rows as plain JSON, in a stable order (the snapshot's hash is taken over them). */
  export(): Promise<unknown>;
  /** Replaces the section's rows with these (validated; throws a RampartError on bad data, changing nothing). */
  import(data: unknown): Promise<void>;
}

/** One step of applying the configuration to the host, run by POST /api/v1/reload in order. */
export interface ApplyStep {
  /** 'vlans', 'firewall' ...: named in the reload report. */
  name: string;
  /** Lower runs first: VLANs (10) before the ruleset that names them (50). */
  order: number;
  apply(): Promise<void>;
}

/**
 * Published on the core bus (topic EDGE_CHANGED) after every successful write of the edge's configuration: the
 * config part saves a version when the snapshot's hash changed; the frame part refreshes pending state.
 */
export const EDGE_CHANGED = 'edge.changed';
export interface EdgeChange {
  /** The section written. */
  section: string;
  /** "METHOD /path" of the write, as AiFw's history comment. */
  comment: string;
  /** Pending kinds the write leaves (empty when it applied at once). */
  pending: PendingKind[];
  /** Who wrote (the principal's name): the saved version's created_by ("auto" when absent). */
  actor?: string;
}

/** Where the parts plug into each other; each part fills what it provides when edge.services.ts wires it. */
export interface EdgeHooks {
  /** Sections registered by the parts (firewall: rules, nat, aliases, schedules, geoip; network: vlans, routes ...). */
  sections: ConfigSection[];
  /** Apply steps registered by the parts, run in `order` by reload (frame part). */
  applySteps: ApplyStep[];
  /** Marks pending kinds (frame part provides it; persisted, pushed on pending/stream). */
  markPending(kinds: PendingKind[]): Promise<void>;
  /** Counts the frame's status and the WebSocket payload report: rules total/active, NAT rules (firewall part). */
  firewallCounts(): Promise<{ rules: number; active_rules: number; nat_rules: number }>;
  /** Whether the edge's ruleset has been applied to this host's kernel (firewall part). */
  hostApplied(): Promise<boolean>;
  /** Interface names the box has, with their roles (network part), for validation and WAN lookups. */
  interfaces(): Promise<Array<{ name: string; role: string | null; addresses: string[] }>>;
  /** What the frame's status and metrics WebSocket show of the network (network part), read once per tick. */
  liveNetwork(): Promise<LiveNetwork>;
}

/** The network's live state as the metrics WebSocket carries it (AiFw's status_update fields). */
export interface LiveNetwork {
  connections: Array<{ protocol: string; src_addr: string; src_port: number; dst_addr: string; dst_port: number; state: string; bytes_in: number; bytes_out: number }>;
  connection_count: number;
  interfaces: Array<{ name: string; address?: string; subnet?: string; role?: string; bytes_in: number; bytes_out: number; packets_in: number; packets_out: number }>;
  blocked: Array<{ timestamp: string; action: string; direction: string; interface: string; protocol: string; src_addr: string; src_port: number; dst_addr: string; dst_port: number }>;
  default_gateway: string | null;
  route_count: number;
}
