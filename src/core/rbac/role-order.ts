import { builtinRoles } from './builtin-roles.js';

const rank = new Map(builtinRoles.map((r, i) => [r.name, i]));

/**
 * Role names from the most to the least powerful: built-in roles in their order (admin first), then custom roles
 * by name. Login responses show a single "role", the first of these.
 */
export function byPrecedence(names: Iterable<string>): string[] {
  return [...new Set(names)].sort((a, b) => (rank.get(a) ?? rank.size) - (rank.get(b) ?? rank.size) || a.localeCompare(b));
}
