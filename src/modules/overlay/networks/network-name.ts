import { errors } from '../../../core/errors.js';

export const MAX_NETWORK_NAME = 64;

/**
 * A network's name also names its CA certificate, so it must be a valid Nebula certificate name (non-empty,
 * at most 253 bytes); Rampart keeps it to 64 characters without control characters or surrounding spaces,
 * since it is typed back as the confirmation of a delete.
 */
export function assertNetworkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw errors.validation('name must not be empty');
  if (name.length > MAX_NETWORK_NAME) throw errors.validation(`name must be at most ${MAX_NETWORK_NAME} characters`);
  if (name.trim() !== name) throw errors.validation('name must not start or end with spaces');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw errors.validation('name must not contain control characters');
  return name;
}
