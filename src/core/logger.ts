import pino, { type Logger, type LoggerOptions } from 'pino';
import type { RampartConfig } from './config/schema.js';
import { logDestination } from './log-destination.js';

export type { Logger };

export function loggerOptions(config: Pick<RampartConfig, 'log'>, fd: 1 | 2 = 1): LoggerOptions {
  const stream = fd === 1 ? process.stdout : process.stderr;
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && stream.isTTY);
  return {
    level: config.log.level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { destination: fd, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
}

/**
 * Servers log to stdout; one-shot commands log to stderr (fd 2) and keep stdout for their result. JSON goes through
 * a destination that a closed or stalled reader cannot block (log-destination.ts).
 */
export function createLogger(config: Pick<RampartConfig, 'log'>, fd: 1 | 2 = 1): Logger {
  const options = loggerOptions(config, fd);
  return options.transport ? pino(options) : pino(options, logDestination(fd));
}
