import type { Core } from '../../../core/index.js';
import { IDENTITY_CHANGED, type IdentityChange } from '../../../core/identity/identity.types.js';
import type { AccessHooks } from '../access.types.js';
import type { DeviceService } from './device.service.js';

/**
 * Users are the identity core's (its routes suspend, reactivate and regroup them); their devices are ours. When a
 * user with devices changes, what those devices may reach can change: a user who is no longer active loses the
 * devices' SPCs and sessions at once, and every change is published as ACCESS_CHANGED (reason user) so gateways
 * re-ask their grants. Only the node where the change happened acts, so a cluster does the work once.
 */
export function followUserChanges(core: Core, devices: DeviceService, hooks: AccessHooks): () => void {
  return core.events.subscribe(IDENTITY_CHANGED, async (event) => {
    const change = event.payload as IdentityChange;
    if (event.origin !== core.events.nodeId || !change.user_id) return;
    const live = await devices.liveOfUser(change.user_id);
    if (live.length === 0) return;
    const user = await core.db.kysely.selectFrom('users').select('status').where('id', '=', change.user_id).executeTakeFirst();
    const ids = live.map((d) => d.id);
    await core.db.transaction(async () => {
      // A deleted user's devices are revoked: nobody is left to answer for them.
      if (!user) {
        for (const d of live) await devices.lifecycle({ action: 'revoke', device_id: d.id, reason: 'user deleted' });
        return;
      }
      if (user.status !== 'active') {
        const why = `user ${user.status}`;
        await hooks.revokeSpcs(ids, why);
        await hooks.closeSessions(ids, why);
      }
      for (const tenant of new Set(live.map((d) => d.tenant_id))) {
        await devices.changed({ tenant_id: tenant, reason: 'user', user_id: change.user_id, device_ids: live.filter((d) => d.tenant_id === tenant).map((d) => d.id) });
      }
    });
  });
}
