/**
 * AiFw's permission bitmask: the `perm` claim its UI decodes from the access token. Bit i is the i-th permission of
 * AiFw's Permission enum (aifw-common permission.rs, ALL_PERMISSIONS); the order is AiFw's and must never change.
 * The claim is informative only: Rampart re-reads a caller's permissions server-side on every request.
 */
export const AIFW_PERMISSION_BITS = [
  'dashboard:view', 'rules:read', 'rules:write', 'nat:read', 'nat:write', 'vpn:read', 'vpn:write', 'geoip:read',
  'geoip:write', 'ids:read', 'ids:write', 'dns:read', 'dns:write', 'dhcp:read', 'dhcp:write', 'aliases:read',
  'aliases:write', 'interfaces:read', 'interfaces:write', 'connections:view', 'logs:view', 'users:read',
  'users:write', 'settings:read', 'settings:write', 'plugins:read', 'plugins:write', 'updates:read',
  'updates:install', 'backup:read', 'backup:write', 'system:reboot', 'proxy:read', 'proxy:write', 'multiwan:read',
  'multiwan:write', 'ha:manage',
] as const;

/** The bitmask of the expanded permission names given (37 bits: a safe JSON integer). */
export function aifwPermissionBits(expanded: Iterable<string>): number {
  const held = new Set(expanded);
  let bits = 0;
  AIFW_PERMISSION_BITS.forEach((name, i) => {
    if (held.has(name)) bits += 2 ** i;
  });
  return bits;
}
