import type { Logger } from '../../../core/logger.js';
import { parseConntrack, type ConntrackFlow } from './conntrack-parse.js';
import { listConntrack } from '../../../core/dataplane/conntrack-command.js';

export interface FlowEvent extends ConntrackFlow {
  /** Unix seconds of the poll that last saw the flow's counters change (or first saw it). */
  last_seen: number;
  /** The name the DNS proxy resolved to dst_ip, when it did. */
  hostname: string | null;
  node_id: string;
}

export type WiretapEvent = { type: 'flow' | 'flow_end'; flow: FlowEvent };
export type WiretapListener = (event: WiretapEvent) => void;

export interface FlowTrackerOptions {
  /** The conntrack program with leading arguments: ['conntrack'], or ['ip', 'netns', 'exec', ns, 'conntrack'] in tests. */
  command?: string[];
  intervalMs: number;
  nodeId: string;
  hostnameOf(ip: string): string | null;
  now?: () => Date;
  logger?: Logger;
  /** How long one listing may take. */
  timeoutMs?: number;
}

export interface FlowTracker {
  /** Receives events while subscribed; polling runs only while someone listens. Returns the unsubscribe function. */
  subscribe(listener: WiretapListener): () => void;
  /** One listing, diffed against the previous one (tests call it to avoid waiting for the timer). */
  poll(): Promise<void>;
  readonly listeners: number;
}

/**
 * Follows conntrack's flow table by listing it every interval: a `flow` event for a new flow or one whose
 * counters moved (so at most one per flow per interval), a `flow_end` when a flow is gone from the table.
 */
export function createFlowTracker(opts: FlowTrackerOptions): FlowTracker {
  const command = opts.command ?? ['conntrack'];
  const now = opts.now ?? (() => new Date());
  const listeners = new Set<WiretapListener>();
  let known = new Map<string, FlowEvent>();
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;
  let lastError = '';

  function list(): Promise<ConntrackFlow[]> {
    return listConntrack(command, opts.timeoutMs).then((out) => parseConntrack(out));
  }

  function emit(event: WiretapEvent) {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        opts.logger?.warn({ err }, 'wiretap listener failed');
      }
    }
  }

  async function pollOnce(): Promise<void> {
    let flows: ConntrackFlow[];
    try {
      flows = await list();
      lastError = '';
    } catch (err) {
      // Logged once per distinct failure, not every interval.
      const message = (err as Error).message;
      if (message !== lastError) opts.logger?.warn({ err: message }, 'wiretap cannot read the conntrack table');
      lastError = message;
      return;
    }
    const seconds = Math.floor(now().getTime() / 1000);
    const next = new Map<string, FlowEvent>();
    for (const flow of flows) {
      const before = known.get(flow.flow_id);
      const moved = !before || before.packets_in !== flow.packets_in || before.packets_out !== flow.packets_out;
      const hostname = moved ? opts.hostnameOf(flow.dst_ip) ?? before?.hostname ?? null : before.hostname;
      const event: FlowEvent = { ...flow, last_seen: moved ? seconds : before.last_seen, hostname, node_id: opts.nodeId };
      next.set(flow.flow_id, event);
      if (moved) emit({ type: 'flow', flow: event });
    }
    for (const [id, flow] of known) if (!next.has(id)) emit({ type: 'flow_end', flow });
    known = next;
  }

  function poll(): Promise<void> {
    polling ??= pollOnce().finally(() => (polling = null));
    return polling;
  }

  // One loop for all listeners, running while there is any; unsubscribing the last one wakes it to end.
  let running = false;
  let wake: (() => void) | null = null;
  async function loop() {
    while (listeners.size > 0) {
      await poll();
      if (listeners.size === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, opts.intervalMs);
        timer.unref();
      });
    }
    running = false;
    known = new Map();
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!running) {
        running = true;
        void loop();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearTimeout(timer);
          timer = null;
          wake?.();
        }
      };
    },
    poll,
    get listeners() {
      return listeners.size;
    },
  };
}
