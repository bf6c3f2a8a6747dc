/** Who is acting. Identity (users, keys, tokens) resolves one per request; background work acts as system. */
export type ActorType = 'user' | 'api_key' | 'service_account' | 'device' | 'gateway' | 'system' | 'anonymous';

export interface Principal {
  type: ActorType;
  id: string;
  name: string;
  /** Permission strings (resource:action, with resource:* and * wildcards). */
  permissions: ReadonlySet<string>;
  /** Role names, as the specs' "me" endpoints report them. */
  roles?: readonly string[];
  email?: string | null;
  /** The login session behind a user's token or cookie: logout revokes it. */
  sessionId?: string;
  /** How the principal authenticated: bearer, cookie, api_key, ticket. */
  via?: 'bearer' | 'cookie' | 'api_key' | 'ticket';
  /** When the presented credential expires (unix seconds), null when it does not. */
  expiresAt?: number | null;
  /** The service account behind a service-account token. */
  serviceAccountId?: string;
}

export const systemPrincipal: Principal = { type: 'system', id: 'system', name: 'rampart', permissions: new Set(['*']) };

/** Whether a principal's permissions cover the permission asked for. */
export function hasPermission(principal: Principal, permission: string): boolean {
  const perms = principal.permissions;
  if (perms.has('*') || perms.has(permission)) return true;
  const resource = permission.slice(0, permission.indexOf(':'));
  return resource !== '' && perms.has(`${resource}:*`);
}
