import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { createPgBridge, type PgBridge, type PgBridgeOptions } from './pg-bridge.js';
import { assertTopic, topicMatcher } from './topics.js';
import type { BusEvent, EventHandler } from './events.types.js';

export type { BusEvent, EventHandler } from './events.types.js';

export interface EventBusOptions {
  db: Database;
  logger: Logger;
  /**
   * This process's identity, carried by events as `origin`. Unique per running process (a random UUID at boot
   * is right): a node ignores notifications bearing its own id, so two processes sharing one would miss each
   * other's events.
   */
  nodeId: string;
  now?: () => Date;
  /** Larger payloads are refused: events are notifications, not a transport for bulk data. */
  maxPayloadBytes?: number;
  /** PostgreSQL bridge tuning (channel, reconnect backoff, ping, payload retention). */
  postgres?: Pick<PgBridgeOptions, 'channel' | 'reconnect' | 'pingMs' | 'payloadRetentionMs'>;
}

export interface EventBus {
  readonly nodeId: string;
  /**
   * Publishes to every subscriber on every node. Inside a unit of work the event goes out on commit, and never
   * on rollback; outside one, local subscribers get it before this resolves.
   */
  publish<P>(topic: string, payload: P): Promise<BusEvent<P>>;
  /** An exact topic, 'prefix.*' or '*'. Returns the unsubscribe function. */
  subscribe(pattern: string, handler: EventHandler): () => void;
  /** Starts listening to the other nodes (PostgreSQL); resolves once events from them will arrive. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** 'postgres' reaches every node sharing the database, 'local' only this process. */
  status(): { mode: 'local' | 'postgres'; listening: boolean; reconnects: number };
}

interface Subscription {
  matches: (topic: string) => boolean;
  handler: EventHandler;
}

/** In-process publish/subscribe, bridged over LISTEN/NOTIFY when the database is PostgreSQL. */
export function createEventBus(opts: EventBusOptions): EventBus {
  const { db, logger, nodeId } = opts;
  const now = opts.now ?? (() => new Date());
  const maxPayloadBytes = opts.maxPayloadBytes ?? 1024 * 1024;
  const subscriptions = new Set<Subscription>();
  // Subscribers run in the bus's own async context, never inside the publisher's unit of work: a subscriber's
  // queries must not join (or outlive) a transaction that happens to be open where the event was published.
  const scope = new AsyncResource('rampart.events');

  const deliver = (event: BusEvent) => scope.runInAsyncScope(() => {
    for (const sub of [...subscriptions]) {
      if (subscriptions.has(sub) && sub.matches(event.topic)) invoke(sub, event);
    }
  });

  function invoke(sub: Subscription, event: BusEvent) {
    const fail = (err: unknown) => logger.error({ err, topic: event.topic, event_id: event.id }, 'event subscriber failed');
    try {
      const result = sub.handler(event);
      if (result && typeof result.then === 'function') result.then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  }

  const bridge: PgBridge | null =
    db.dialect.name === 'postgres' ? createPgBridge({ ...opts.postgres, db, logger, nodeId, now, onEvent: deliver }) : null;

  return {
    nodeId,
    async publish<P>(topic: string, payload: P): Promise<BusEvent<P>> {
      assertTopic(topic);
      const json = serialize(payload, maxPayloadBytes);
      const event: BusEvent<P> = { id: randomUUID(), topic, payload: JSON.parse(json), origin: nodeId, published_at: now().toISOString() };
      await bridge?.notify(event, json);
      db.afterCommit(() => deliver(event));
      return event;
    },
    subscribe(pattern, handler) {
      const sub: Subscription = { matches: topicMatcher(pattern), handler };
      subscriptions.add(sub);
      return () => void subscriptions.delete(sub);
    },
    async start() {
      await bridge?.start();
    },
    async close() {
      await bridge?.close();
      subscriptions.clear();
    },
    status() {
      return bridge ? { mode: 'postgres', ...bridge.status() } : { mode: 'local', listening: true, reconnects: 0 };
    },
  };
}

function serialize(payload: unknown, maxBytes: number): string {
  const json = JSON.stringify(payload);
  if (json === undefined) throw new TypeError('event payload must be JSON-serializable');
  if (Buffer.byteLength(json) > maxBytes) throw new RangeError(`event payload exceeds ${maxBytes} bytes`);
  return json;
}
