import { errors } from '../errors.js';
import { hasPermission } from '../principal.js';
import type { PermissionRegistry } from '../identity/identity.types.js';
import type { PermissionDefinition } from './rbac.types.js';

const PERMISSION = /^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/;

/** Every permission a route may require; modules register theirs at startup. */
export function createPermissionRegistry(): PermissionRegistry {
  const byName = new Map<string, PermissionDefinition>();
  return {
    register(defs) {
      for (const def of defs) {
        if (!PERMISSION.test(def.name)) throw new Error(`permission ${def.name} is not resource:action`);
        if (!byName.has(def.name)) byName.set(def.name, def);
      }
    },
    list: () => [...byName.values()],
    has: (name) => byName.has(name),
    validGrants(grants) {
      const resources = new Set([...byName.keys()].map((name) => name.slice(0, name.indexOf(':'))));
      for (const p of grants) {
        const wildcard = p.endsWith(':*') && resources.has(p.slice(0, -2));
        if (p !== '*' && !wildcard && !byName.has(p)) throw errors.validation(`unknown permission ${p}`, { details: { permission: p } });
      }
      return [...new Set(grants)];
    },
    expand(grants) {
      const probe = { type: 'system' as const, id: '', name: '', permissions: new Set(grants) };
      return [...byName.keys()].filter((name) => hasPermission(probe, name));
    },
  };
}
