import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BusEvent, EventBus } from '../core/events/event-bus.js';

export interface SseOptions {
  /** A comment line this often keeps proxies and load balancers from closing an idle stream. */
  heartbeatMs?: number;
  /** Bytes a client may leave unread before it is dropped; a slow client is never buffered without limit. */
  maxBufferedBytes?: number;
  /** Sent as `retry:` so EventSource clients reconnect after this many milliseconds. */
  retryMs?: number;
}

export interface SseMessage {
  event?: string;
  id?: string;
  /** A string is sent as is (one data: line per line); anything else as JSON. */
  data: unknown;
}

/** client: the peer went away; server: close() was called; overflow: the client fell too far behind. */
export type SseCloseReason = 'client' | 'server' | 'overflow';

export interface SseStream {
  /** Queues one message; false when the stream is closed (or this message overflowed it). */
  send(message: SseMessage): boolean;
  /** Ends the stream gracefully. */
  close(): void;
  /** Resolves when the stream is over, whichever side ended it. */
  readonly closed: Promise<void>;
  readonly closeReason: SseCloseReason | null;
}

const SSE_HEADERS: OutgoingHttpHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};
// Headers that describe a normal body and would be wrong on an endless stream.
const BODY_HEADERS = ['content-length', 'content-type', 'content-encoding', 'etag', 'last-modified'];
const FIELD = /^[^\r\n\0]*$/;

// Open streams per HTTP server, so shutdown can end them (an open stream otherwise keeps close() waiting).
const openStreams = new WeakMap<object, Set<SseStream>>();

/**
 * Takes over the reply and turns it into a server-sent event stream. Headers already set on the reply (the
 * correlation id, security headers, CORS) are kept. The route handler returns right after opening the stream.
 */
export function openSseStream(raw: { request: FastifyRequest; reply: FastifyReply }, opts: SseOptions = {}): SseStream {
  const { request, reply } = raw;
  const res = reply.raw;
  const maxBufferedBytes = opts.maxBufferedBytes ?? 1024 * 1024;
  const registry = streamsOf(request.server.server);

  reply.hijack();
  res.writeHead(200, { ...inheritedHeaders(reply), ...SSE_HEADERS });

  let reason: SseCloseReason | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  // Not unref'd: every way the stream ends clears it, and a leak should show rather than hide.
  const heartbeat = setInterval(() => write(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);

  function finish(why: SseCloseReason) {
    if (reason) return;
    reason = why;
    clearInterval(heartbeat);
    registry.delete(stream);
    resolveClosed();
  }

  function write(chunk: string): boolean {
    if (reason) return false;
    res.write(chunk);
    // Counts what Node holds for this response and its socket, beyond what the kernel already took.
    if (res.writableLength <= maxBufferedBytes) return true;
    request.log.warn({ buffered_bytes: res.writableLength, limit: maxBufferedBytes }, 'event stream client too slow; dropped');
    finish('overflow');
    res.destroy();
    return false;
  }

  const stream: SseStream = {
    send: (message) => write(frame(message)),
    close() {
      if (reason) return;
      finish('server');
      res.end();
    },
    closed,
    get closeReason() {
      return reason;
    },
  };

  registry.add(stream);
  res.on('close', () => finish('client'));
  res.on('error', () => {}); // a write racing a reset; 'close' follows and ends the stream
  write(opts.retryMs !== undefined ? `retry: ${Math.max(0, Math.floor(opts.retryMs))}\n\n` : ': open\n\n');
  if (res.destroyed) finish('client');
  return stream;
}

/**
 * Forwards bus events matching the pattern to the stream until it closes, then unsubscribes. By default each
 * event is sent as `event: <topic>`, `id: <event id>`, `data: <payload JSON>`; map reshapes it, or returns null
 * to skip it (for example an event the stream's principal may not see). Returns the unsubscribe function.
 */
export function streamEvents(
  bus: EventBus,
  topicPattern: string,
  stream: SseStream,
  opts: { map?: (event: BusEvent) => SseMessage | null } = {},
): () => void {
  const map = opts.map ?? ((e: BusEvent) => ({ event: e.topic, id: e.id, data: JSON.stringify(e.payload) }));
  const unsubscribe = bus.subscribe(topicPattern, (event) => {
    const message = map(event);
    if (message) stream.send(message);
  });
  void stream.closed.then(unsubscribe);
  return unsubscribe;
}

/** Ends every open stream of this app; register it as a preClose hook so shutdown does not wait on clients. */
export function closeSseStreams(app: FastifyInstance): void {
  for (const stream of [...(openStreams.get(app.server) ?? [])]) stream.close();
}

function streamsOf(server: object): Set<SseStream> {
  let set = openStreams.get(server);
  if (!set) openStreams.set(server, (set = new Set()));
  return set;
}

function inheritedHeaders(reply: FastifyReply): OutgoingHttpHeaders {
  const headers = { ...reply.getHeaders() } as OutgoingHttpHeaders;
  for (const name of BODY_HEADERS) delete headers[name];
  return headers;
}

/** One event in the text/event-stream format. */
export function frame(message: SseMessage): string {
  let out = '';
  if (message.event !== undefined) out += `event: ${field('event', message.event)}\n`;
  if (message.id !== undefined) out += `id: ${field('id', message.id)}\n`;
  const data = typeof message.data === 'string' ? message.data : JSON.stringify(message.data ?? null);
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

function field(name: string, value: string): string {
  if (!FIELD.test(value)) throw new TypeError(`SSE ${name} must not contain line breaks or NUL`);
  return value;
}
