import pino, { type Logger, type LoggerOptions } from 'pino';
import type { RampartConfig } from './config/schema.js';

export type { Logger };

export function loggerOptions(config: Pick<RampartConfig, 'log'>): LoggerOptions {
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && process.stdout.isTTY);
  return {
    level: config.log.level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
}

export function createLogger(config: Pick<RampartConfig, 'log'>): Logger {
  return pino(loggerOptions(config));
}
