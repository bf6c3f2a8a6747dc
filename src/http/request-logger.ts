import pino, { type Bindings, type ChildLoggerOptions, type Level } from 'pino';
import type { Logger } from '../core/logger.js';

const { chindingsSym, serializersSym } = pino.symbols;

/**
 * Each request's logger (request.log), made by Fastify's childLoggerFactory. A pino child costs every request the
 * serialization of its bindings (through the redaction stringifier), yet most requests never log anything but their
 * access line, which http/access-log.ts writes from the parent and the correlation id. So the child is made on the
 * first call that needs it (a warning, an error, a handler's own line) and never otherwise. A level or serializers
 * of the request's own (route options Rampart does not set) get a real child at once.
 */
export function requestLogger(parent: Logger, bindings: Bindings, opts: ChildLoggerOptions): Logger {
  if (Object.keys(opts).length > 0) return parent.child(bindings, opts);
  return new LazyChildLogger(parent, bindings) as unknown as Logger;
}

export class LazyChildLogger {
  #child: Logger | undefined;

  constructor(
    readonly parent: Logger,
    private readonly childBindings: Bindings,
  ) {}

  /** The pino child, made now if it was not yet. */
  get real(): Logger {
    return (this.#child ??= this.parent.child(this.childBindings));
  }

  get materialized(): boolean {
    return this.#child !== undefined;
  }

  /**
   * The child's bindings as pino would serialize them (`,"correlation_id":"..."` after the parent's), without making
   * it; undefined when pino might write them otherwise (a value that is not a string, a serializer for the key).
   */
  chindings(): string | undefined {
    const serializers = (this.parent as any)[serializersSym] as Record<string, unknown>;
    let out = (this.parent as any)[chindingsSym] as string;
    for (const [key, value] of Object.entries(this.childBindings)) {
      if (typeof value !== 'string' || serializers[key] !== undefined || key === 'level' || key === 'serializers' || key === 'formatters') return undefined;
      out += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
    }
    return out;
  }

  get level(): string {
    return (this.#child ?? this.parent).level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  get levels() {
    return this.parent.levels;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  /** A call below the level is dropped without making the child, as pino's own no-op method would drop it. */
  #log(level: Level, args: unknown[]): void {
    if (!this.#child && !this.parent.isLevelEnabled(level)) return;
    (this.real[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]) { this.#log('fatal', args); }
  error(...args: unknown[]) { this.#log('error', args); }
  warn(...args: unknown[]) { this.#log('warn', args); }
  info(...args: unknown[]) { this.#log('info', args); }
  debug(...args: unknown[]) { this.#log('debug', args); }
  trace(...args: unknown[]) { this.#log('trace', args); }
  silent() {}

  child(bindings: Bindings, opts?: ChildLoggerOptions): Logger {
    return this.real.child(bindings, opts);
  }

  bindings(): Bindings {
    return this.real.bindings();
  }

  flush(cb?: (err?: Error) => void): void {
    this.parent.flush(cb);
  }
}
