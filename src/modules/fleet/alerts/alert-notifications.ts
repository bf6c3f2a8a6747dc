import type { Core } from '../../../core/index.js';
import { hasPermission } from '../../../core/principal.js';
import type { NotificationService } from '../frame/notifications.service.js';
import type { Alert } from './alert.types.js';

/**
 * Puts a new alert in the notification bell of every active user who may read alerts (a role granting alert:read,
 * directly or by wildcard), linking to the console's alerts page.
 */
export async function notifyAlertReaders(core: Core, notifications: NotificationService, alert: Alert): Promise<void> {
  const roles = (await core.identity.rbac.listRoles())
    .filter((role) => hasPermission({ type: 'user', id: role.id, name: role.name, permissions: new Set(role.permissions) }, 'alert:read'))
    .map((role) => role.id);
  if (roles.length === 0) return;
  const readers = await core.db.kysely
    .selectFrom('user_roles')
    .innerJoin('users', 'users.id', 'user_roles.user_id')
    .select('users.id')
    .distinct()
    .where('user_roles.role_id', 'in', roles)
    .where('users.status', '=', 'active')
    .execute();
  for (const reader of readers) {
    await notifications.record({
      userId: reader.id,
      kind: `alert.${alert.alert_type}`,
      severity: alert.severity,
      title: alert.title,
      body: alert.body || null,
      link: '/fleet/alerts',
    });
  }
}
