import { AsyncResource } from 'node:async_hooks';
import type pg from 'pg';
import { sql } from 'kysely';
import { loadPg, type Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { createEventPayloadStore } from './event-payloads.store.js';
import type { BusEvent } from './events.types.js';

/**
 * Carries bus events between nodes sharing one PostgreSQL database: NOTIFY on publish, one dedicated LISTEN
 * connection per node. This is a notification bus, not a log: an event published while a node's LISTEN
 * connection is down (between a drop and the reconnect) never reaches that node. Consumers that must not miss
 * a change treat events as hints and re-read the state they care about (status().reconnects counts the gaps).
 */
export interface PgBridgeOptions {
  db: Database;
  logger: Logger;
  nodeId: string;
  now: () => Date;
  /** Called for each event that arrives from the database, in NOTIFY (commit) order. */
  onEvent(event: BusEvent): void;
  channel?: string;
  /** Reconnect delay: doubles from minMs up to maxMs, reset after a successful reconnect. */
  reconnect?: { minMs: number; maxMs: number };
  /** How often the LISTEN connection is probed, so a silently dead connection is noticed. */
  pingMs?: number;
  /** How long parked large payloads are kept for slow receivers. */
  payloadRetentionMs?: number;
}

export interface PgBridge {
  /** Resolves once LISTEN is active; rejects when the first connection fails. */
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Sends the event to the other nodes through the current unit of work: inside a transaction it goes out on
   * commit and never on rollback. This node delivers its own events itself.
   */
  notify(event: BusEvent, payloadJson: string): Promise<void>;
  status(): { listening: boolean; reconnects: number };
}

interface WireHeader {
  v: 1;
  id: string;
  topic: string;
  origin: string;
  published_at: string;
  /** The payload is parked in event_payloads under the event id. */
  ref?: true;
}

export const DEFAULT_CHANNEL = 'rampart_events';
// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; stay clear of the edge.
const NOTIFY_MAX_BYTES = 7900;
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export function createPgBridge(opts: PgBridgeOptions): PgBridge {
  const { db, logger, nodeId } = opts;
  if (!db.postgresUrl) throw new Error('the PostgreSQL event bridge needs db.postgresUrl');
  const channel = opts.channel ?? DEFAULT_CHANNEL;
  if (!CHANNEL.test(channel)) throw new Error(`invalid NOTIFY channel name ${channel}`);
  const backoff = opts.reconnect ?? { minMs: 500, maxMs: 30_000 };
  const retentionMs = opts.payloadRetentionMs ?? 10 * 60_000;
  const payloads = createEventPayloadStore(db);
  // Notifications are handled outside any caller's unit of work, whoever happened to trigger the connection.
  const scope = new AsyncResource('rampart.events.pg');

  let current: pg.Client | null = null;
  let closing = false;
  let attempts = 0;
  let reconnects = 0;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let reconnecting: Promise<void> | null = null;
  let pingTimer: NodeJS.Timeout | null = null;
  let inbox: Promise<void> = Promise.resolve();
  let lastPrune = 0;

  async function connect(): Promise<void> {
    const client = new (loadPg().Client)({
      connectionString: db.postgresUrl,
      application_name: `rampart-events ${nodeId}`.slice(0, 63),
      keepAlive: true,
      query_timeout: 10_000,
    });
    client.on('notification', scope.bind((msg: pg.Notification) => {
      if (msg.channel === channel && msg.payload !== undefined && !isOwn(msg.payload)) enqueue(msg.payload);
    }));
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client));
    try {
      await client.connect();
      await client.query(`listen ${channel}`);
      if (closing) throw new Error('event bus closed while connecting');
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    current = client;
  }

  function lost(client: pg.Client, err?: Error) {
    if (client !== current || closing) return;
    current = null;
    logger.warn({ err, channel }, 'event bus lost its LISTEN connection; reconnecting, events published meanwhile are missed');
    client.end().catch(() => {});
    scheduleReconnect();
  }

  function scheduleReconnect() {
    const delay = Math.min(backoff.maxMs, backoff.minMs * 2 ** attempts++);
    reconnectTimer = setTimeout(async () => {
      reconnectTimer = null;
      try {
        await (reconnecting = connect().finally(() => (reconnecting = null)));
        attempts = 0;
        reconnects++;
        logger.info({ channel }, 'event bus LISTEN connection restored');
      } catch (err) {
        if (closing) return;
        logger.warn({ err, channel, retry_in_ms: Math.min(backoff.maxMs, backoff.minMs * 2 ** attempts) }, 'event bus could not reconnect');
        scheduleReconnect();
      }
    }, delay);
    reconnectTimer.unref();
  }

  function ping() {
    const client = current;
    client?.query('select 1').catch((err: Error) => lost(client, err));
  }

  /**
   * This node's own events, which it delivered itself when it published them (every write on PostgreSQL sends one,
   * and hears it back): told from the header's origin without parsing the payload. Outside a JSON string a quote is
   * never escaped, so `,"origin":"<id>",` before the first `"payload":` can only be the header's own field.
   */
  const ownOrigin = `,"origin":${JSON.stringify(nodeId)},`;
  function isOwn(raw: string): boolean {
    const at = raw.indexOf(ownOrigin);
    if (at < 0) return false;
    const payloadAt = raw.indexOf('"payload":');
    return payloadAt < 0 || at < payloadAt;
  }

  // One at a time, so events stay in commit order even when a large payload has to be fetched first.
  function enqueue(raw: string) {
    inbox = inbox.then(() => receive(raw)).catch((err) => logger.error({ err, channel }, 'could not handle an event notification'));
  }

  async function receive(raw: string) {
    const msg = JSON.parse(raw) as WireHeader & { payload?: unknown };
    if (msg.v !== 1 || closing) return;
    if (msg.origin === nodeId) return; // delivered locally by the publisher
    let payload = msg.payload;
    if (msg.ref) {
      const json = await payloads.get(msg.id);
      if (json === undefined) {
        logger.warn({ event_id: msg.id, topic: msg.topic }, 'large event payload was already pruned; event dropped');
        return;
      }
      payload = JSON.parse(json);
    }
    if (closing) return;
    opts.onEvent({ id: msg.id, topic: msg.topic, payload, origin: msg.origin, published_at: msg.published_at });
  }

  async function notify(event: BusEvent, payloadJson: string) {
    const header: WireHeader = { v: 1, id: event.id, topic: event.topic, origin: event.origin, published_at: event.published_at };
    const inline = `${JSON.stringify(header).slice(0, -1)},"payload":${payloadJson}}`;
    if (Buffer.byteLength(inline) <= NOTIFY_MAX_BYTES) {
      // Delivered only by the commit, so it waits for it and goes out with the unit's other held writes.
      await db.defer(sql`select pg_notify(${channel}, ${inline})`.compile(db.kysely), { untilCommit: true });
      return;
    }
    // Row and notification commit together (joining the caller's transaction when there is one).
    await db.transaction(async () => {
      await payloads.put(event.id, payloadJson, event.published_at);
      await sql`select pg_notify(${channel}, ${JSON.stringify({ ...header, ref: true })})`.execute(db.kysely);
    });
    await pruneNowAndThen();
  }

  /** Deletes expired parked payloads, at most once per tenth of the retention; a failure only logs. */
  async function pruneNowAndThen() {
    const now = opts.now().getTime();
    if (now - lastPrune < retentionMs / 10) return;
    lastPrune = now;
    const cutoff = new Date(now - retentionMs).toISOString();
    // Outside the caller's transaction: pruning must neither wait for nor roll back with it.
    await scope.runInAsyncScope(() => payloads.pruneBefore(cutoff)).catch((err) => logger.warn({ err }, 'could not prune event payloads'));
  }

  return {
    async start() {
      closing = false;
      await connect();
      pingTimer = setInterval(ping, opts.pingMs ?? 30_000);
      pingTimer.unref();
    },
    async close() {
      closing = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      if (pingTimer) clearInterval(pingTimer);
      await reconnecting?.catch(() => {});
      const client = current;
      current = null;
      await client?.end().catch(() => {});
      await inbox;
    },
    notify,
    status: () => ({ listening: current !== null, reconnects }),
  };
}
