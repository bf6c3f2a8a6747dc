import pino from 'pino';
import type { Logger } from '../core/logger.js';

const { lsCacheSym, timeSym, chindingsSym, streamSym, messageKeySym, mixinSym, needsMetadataGsym } = pino.symbols;

export interface AccessFields {
  method: string;
  route: string;
  path: string;
  status: number;
  ms: number;
}

/**
 * The access line of one request, as `log[level](fields, 'request')` writes it, byte for byte, but formatted here:
 * its fields are fixed and none is secret, so pino's generic path (redaction of every object, serializers,
 * stringifier lookups) is skipped. That was a tenth of an authenticated GET's CPU. A logger this cannot mirror
 * exactly (a mixin, a multistream that wants metadata) gets the generic call.
 */
export function writeAccessLine(log: Logger, level: 'info' | 'debug', fields: AccessFields): void {
  const stream = (log as any)[streamSym] as { write(line: string): void; [needsMetadataGsym]?: boolean } | undefined;
  if (!stream || (log as any)[mixinSym] || stream[needsMetadataGsym] || (log as any)[messageKeySym] !== 'msg') {
    log[level](fields, 'request');
    return;
  }
  const value = log.levels.values[level];
  stream.write(
    `${(log as any)[lsCacheSym][value]}${(log as any)[timeSym]()}${(log as any)[chindingsSym]},"method":${JSON.stringify(fields.method)},"route":${JSON.stringify(fields.route)},"path":${JSON.stringify(fields.path)},"status":${fields.status},"ms":${fields.ms},"msg":"request"}\n`,
  );
}
