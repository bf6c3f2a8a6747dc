/**
 * What buildNodeConfig needs to write one node's Nebula config.yml. Field names follow the Nebula Commander API
 * (snake_case), so rows and request bodies map onto them without renaming. Nothing here touches a database.
 */

export type FirewallProtocol = 'any' | 'tcp' | 'udp' | 'icmp';

/** One inbound rule of a group firewall, as the spec's PUT /group-firewall/{group_name} takes it. */
export interface InboundRuleInput {
  /** A group name, or 'any' for every host of the network. */
  allowed_group: string;
  protocol: FirewallProtocol;
  /** 'any', '443', '8000-8100', or a comma list of those ('22,80-88'), as Commander accepts. */
  port_range: string;
  description?: string | null;
}

/** The inbound rules that protect every node in group_name. */
export interface GroupFirewallInput {
  group_name: string;
  inbound_rules: InboundRuleInput[];
}

/** What a node needs to know about any node of its network: where lighthouses and relays live. */
export interface PeerNodeInput {
  /** The node's address inside the overlay, without prefix length. */
  ip: string;
  is_lighthouse: boolean;
  is_relay: boolean;
  /** 'host:port' reachable from the underlay, or null. */
  public_endpoint: string | null;
}

export interface LighthouseOptions {
  /** Seconds between a node's updates to its lighthouses (Commander's name for lighthouse.interval). */
  interval_seconds?: number;
}

export interface PunchyOptions {
  punch?: boolean;
  respond?: boolean;
  /** Go durations, such as '1s'. */
  delay?: string;
  respond_delay?: string;
}

export interface LoggingOptions {
  level?: 'panic' | 'fatal' | 'error' | 'warning' | 'info' | 'debug';
  format?: 'text' | 'json';
  disable_timestamp?: boolean;
  timestamp_format?: string;
}

/** The node whose config is built. */
export interface ConfigNodeInput extends PeerNodeInput {
  groups: string[];
  /** Default 'nebula1'; set per node so several nodes can share one machine. */
  tun_device?: string;
  /** Default 4242. */
  listen_port?: number;
  lighthouse_options?: LighthouseOptions | null;
  punchy_options?: PunchyOptions | null;
  logging_options?: LoggingOptions | null;
}

/** PEM texts inlined into pki; key is null when the client keeps its own private key (/certificates/sign). */
export interface InlinePkiInput {
  ca: string;
  cert: string;
  key: string | null;
}

export interface NodeConfigInput {
  node: ConfigNodeInput;
  /** The network's nodes; the node itself may be among them and is skipped. */
  peers: PeerNodeInput[];
  group_firewalls: GroupFirewallInput[];
  pki: InlinePkiInput;
  /** Fingerprints of the network's revoked, unexpired certificates. */
  blocklist: string[];
}

/** A Nebula firewall rule: port 'any', a number, or a native 'start-end' range. */
export interface NebulaFirewallRule {
  port: 'any' | number | string;
  proto: FirewallProtocol;
  group?: string;
  host?: 'any';
}
