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
    expand(grants) {
      const probe = { type: 'system' as const, id: '', name: '', permissions: new Set(grants) };
      return [...byName.keys()].filter((name) => hasPermission(probe, name));
    },
  };
}
