import type { Database } from '../../db/database.js';

/** Each user's subject at an SSO provider (the first account linked when there are several), for views that show it. */
export async function ssoSubjects(db: Database, userIds: string[]): Promise<Map<string, string>> {
  const subjects = new Map<string, string>();
  if (!userIds.length) return subjects;
  const rows = await db.kysely
    .selectFrom('user_identities')
    .select(['user_id', 'subject'])
    .where('user_id', 'in', userIds)
    .orderBy('created_at')
    .execute();
  for (const row of rows) if (!subjects.has(row.user_id)) subjects.set(row.user_id, row.subject);
  return subjects;
}
