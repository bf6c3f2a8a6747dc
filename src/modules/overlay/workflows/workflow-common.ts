import type { Database } from '../../../core/db/database.js';

/** Email and username of users by id, for the views' *_email fields. */
export async function userLabels(db: Database, ids: (string | null)[]): Promise<Map<string, { email: string | null; username: string }>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db.kysely.selectFrom('users').select(['id', 'email', 'username']).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, { email: r.email, username: r.username }]));
}

/** The networks where a user holds the owner role or one of the flags given. */
export function networksWhereUser(db: Database, userId: string, flag: 'can_manage_nodes' | 'can_invite_users' | null) {
  return db.kysely
    .selectFrom('overlay_network_permissions')
    .select('network_id')
    .where('user_id', '=', userId)
    .where((eb) => (flag ? eb.or([eb('role', '=', 'owner'), eb(flag, '=', db.dialect.toBool(true))]) : eb('role', '=', 'owner')));
}
