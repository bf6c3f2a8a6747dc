import type { Core } from '../../../core/index.js';
import type { AccessHooks } from '../access.types.js';
import { toAccessDevice } from './device.types.js';
import type { TokenService } from './token.service.js';

/** The hooks the enrollment part provides to the others (access.types.ts): devices, their groups, gateway tokens. */
export function enrollmentHooks(core: Core, tokens: TokenService): Pick<AccessHooks, 'device' | 'deviceGroups' | 'redeemGatewayToken'> {
  return {
    async device(id) {
      if (!isUuid(id)) return undefined;
      const row = await core.db.kysely.selectFrom('access_devices').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toAccessDevice(row);
    },

    async deviceGroups(deviceId) {
      if (!isUuid(deviceId)) return [];
      const row = await core.db.kysely.selectFrom('access_devices').select(['user_id', 'auto_group_ids']).where('id', '=', deviceId).executeTakeFirst();
      if (!row) return [];
      const auto = core.db.dialect.fromJson<string[]>(row.auto_group_ids) ?? [];
      const ofUser = row.user_id ? (await core.identity.groups.groupsOf(row.user_id)).map((g) => g.id) : [];
      return [...new Set([...ofUser, ...auto])].sort();
    },

    redeemGatewayToken: (secret) => tokens.redeem(secret, 'gateway'),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string) => UUID.test(id);
