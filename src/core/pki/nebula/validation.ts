import { errors } from '../../errors.js';

const MAX_NAME_BYTES = 253;

/** Both formats need a name; v2 caps it at 253 bytes (a DNS name), and Rampart holds v1 to the same. */
export function assertName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw errors.validation(`certificate name must be 1 to ${MAX_NAME_BYTES} bytes`);
  }
}

export const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
