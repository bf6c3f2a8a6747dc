import type { ScriptSink } from '../compiler/compile.js';
import type { CompiledPolicy, DnsPolicy } from '../compiler/compiled.types.js';

/** One denied (or, in audit mode, recorded) tuple read from the data plane's deny sets. */
export interface DeniedTuple {
  kind: 'l4' | 'icmp';
  group: string;
  policy_id: string;
  audit: boolean;
  src_ip: string;
  dst_ip: string;
  /** IP protocol number (l4). */
  proto: number | null;
  dst_port: number | null;
  icmp_type: number | null;
  icmp_code: number | null;
  /** Packets counted since the set element was created. */
  packets: number;
}

/** How an apply changed the table: replaced whole, or in place (only the chains and static sets that differ). */
export interface ApplyOutcome {
  path: 'full' | 'incremental';
  /** Chains flushed and refilled, static sets whose elements were replaced (incremental only). */
  chains: number;
  sets: number;
  /** A replacement that ended the nft the script was streamed into while it was compiled. */
  streamed?: boolean;
}

export interface ApplyOptions {
  /** Runs just before the table is replaced whole (not when it is changed in place): what the old table's sets hold goes with it. */
  beforeReplace?: () => Promise<void>;
  /**
   * The script as it was streamed into nft while it was compiled (Dataplane.streamReplace): a replacement of the
   * table ends that nft's input instead of sending the script again. Used only when what it was given is exactly
   * the compiled script; aborted otherwise, and when the table changes in place instead.
   */
  streamed?: StreamedScript;
}

/** A replacement of the table that nft parses while the compile writes it; nothing changes before apply() ends it. */
export interface StreamedScript extends ScriptSink {
  /** Drops it (a compile that failed, a generation never applied): nft goes without touching the table. */
  abort(): void;
}

/**
 * The engine that enforces a compiled policy on this host: nftables in Rampart's own table. Only exists while
 * dataplane.enabled; without it policies are compiled and stored only.
 */
export interface Dataplane {
  /**
   * Makes Rampart's table the compiled one in one `nft -f` transaction: in place when only chain rules and static
   * set elements differ from the running generation, else by replacing the table. On failure the previous table
   * stays and this throws.
   */
  apply(compiled: CompiledPolicy, opts?: ApplyOptions): Promise<ApplyOutcome>;
  /** Starts an nft that parses a replacement script as it is written (for ApplyOptions.streamed). Optional. */
  streamReplace?(): StreamedScript;
  /** Adds addresses to a DNS-learned set with a timeout; resolves once they are in (the DNS answer waits for it). */
  learn(set: string, ips: string[], timeoutSeconds: number): Promise<void>;
  /**
   * Whether every address is already in the set for about `timeoutSeconds` more (what `learn` would skip), so a
   * DNS answer can go out without waiting for anything. Optional: without it the proxy always calls `learn`.
   */
  knows?(set: string, ips: string[], timeoutSeconds: number): boolean;
  /** The deny sets' elements with their counters. */
  readDenied(): Promise<DeniedTuple[]>;
  /** `nft list table` of Rampart's table, for sysdump and stats. */
  ruleset(): Promise<string>;
}

/** What the rest of the module sees of the running data plane (egress.services.ts exposes it as `runtime`). */
export interface DataplaneRuntime {
  /** Whether this process enforces policies (dataplane.enabled and started). */
  readonly enabled: boolean;
  /** The generation the data plane runs now (0 before the first apply). */
  readonly appliedGeneration: number;
  /** The DNS policy of the generation running now. */
  readonly dnsPolicy: DnsPolicy | null;
  /** Resolves once the data plane runs `generation` or newer; rejects with a 503 RampartError after timeoutMs or when that generation failed to apply. */
  waitFor(generation: number, timeoutMs: number): Promise<void>;
  /**
   * A replacement script for `generation` that nft parses while the policy service compiles it; the runtime uses it
   * when it applies that generation (if the table is replaced and the stored script is exactly what was streamed)
   * and aborts it otherwise. Null when the data plane cannot stream. Optional.
   */
  scriptStream?(generation: number): StreamedScript | null;
}
