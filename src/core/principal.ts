/** Who is acting. Identity (users, keys, tokens) resolves one per request; background work acts as system. */
export type ActorType = 'user' | 'api_key' | 'service_account' | 'device' | 'system' | 'anonymous';

export interface Principal {
  type: ActorType;
  id: string;
  name: string;
  /** Permission strings (resource:action, with resource:* and * wildcards). */
  permissions: ReadonlySet<string>;
}

export const systemPrincipal: Principal = { type: 'system', id: 'system', name: 'rampart', permissions: new Set(['*']) };

/** Whether a principal's permissions cover the permission asked for. */
export function hasPermission(principal: Principal, permission: string): boolean {
  const perms = principal.permissions;
  if (perms.has('*') || perms.has(permission)) return true;
  const resource = permission.slice(0, permission.indexOf(':'));
  return resource !== '' && perms.has(`${resource}:*`);
}
