import type { KeyObject } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { RampartError } from '../../../core/errors.js';
import '../config/config.tables.js';
import { capabilities, enterpriseFeatures, type EnterpriseFeature } from './features.js';
import { checkToken, parsePublicKey, type CheckedToken, type VerifyResult } from './license-token.js';

const GRACE_MS = 30 * 24 * 3600 * 1000;
const SLOT = 'current';

export type LicenseStatus = 'active' | 'grace' | 'expired' | 'no_license' | 'invalid';

export interface LicenseView {
  tier: 'free' | 'enterprise';
  status: LicenseStatus;
  features: string[];
  customer_id: string | null;
  fingerprint: string | null;
  issued_at: string | null;
  expires_at: string | null;
  in_grace_period: boolean;
  using_prev_key: boolean;
  clock_rollback_detected: boolean;
  installed_at: string | null;
}

/** What GET /api/v1/license shows only to callers holding system:read (the customer's identity, as OpenWatch). */
export const PRIVATE_LICENSE_FIELDS = ['customer_id', 'fingerprint', 'issued_at', 'installed_at'] as const;

/** The free tier's features: what a deployment without a license has. */
const FREE_FEATURES = capabilities.filter((c) => c.tier === 'free').map((c) => c.id);

const NO_LICENSE: LicenseView = {
  tier: 'free',
  status: 'no_license',
  features: FREE_FEATURES,
  customer_id: null,
  fingerprint: null,
  issued_at: null,
  expires_at: null,
  in_grace_period: false,
  using_prev_key: false,
  clock_rollback_detected: false,
  installed_at: null,
};

/**
 * The installed license: a JWT kept in fleet_license, verified against the configured public keys whenever it is
 * read (cached per token), so a key removed from the config invalidates it. `require` gates enterprise features.
 */
export function createLicenseService(core: Pick<Core, 'db' | 'now' | 'config' | 'logger'>) {
  const keys = loadKeys(core.config.license.public_keys, core);
  const fingerprint = core.config.license.fingerprint;
  const checked = new Map<string, Promise<CheckedToken>>();

  function check(token: string): Promise<CheckedToken> {
    let result = checked.get(token);
    if (!result) {
      if (checked.size > 16) checked.clear();
      checked.set(token, (result = checkToken(token, keys, fingerprint)));
    }
    return result;
  }

  /** The view of a token at this moment: expiry and grace judged against the clock. */
  function viewOf(c: CheckedToken, installedAt: string | null): LicenseView {
    if (c.result !== 'valid' || !c.claims) return { ...NO_LICENSE, status: 'invalid', installed_at: installedAt, using_prev_key: c.usingPrevKey };
    const expires = c.claims.expires_at ? Date.parse(c.claims.expires_at) : Infinity;
    const now = core.now().getTime();
    const status: LicenseStatus = now < expires ? 'active' : now < expires + GRACE_MS ? 'grace' : 'expired';
    return {
      tier: status === 'expired' ? 'free' : c.claims.tier,
      status,
      features: status === 'expired' ? FREE_FEATURES : c.claims.features,
      customer_id: c.claims.customer_id,
      fingerprint: c.claims.fingerprint,
      issued_at: c.claims.issued_at,
      expires_at: c.claims.expires_at,
      in_grace_period: status === 'grace',
      using_prev_key: c.usingPrevKey,
      clock_rollback_detected: false,
      installed_at: installedAt,
    };
  }

  async function current(): Promise<LicenseView> {
    const row = await core.db.kysely.selectFrom('fleet_license').selectAll().where('slot', '=', SLOT).executeTakeFirst();
    if (!row) return NO_LICENSE;
    return viewOf(await check(row.token), row.installed_at);
  }

  /** A dry run: what installing this token would give, and why it would be refused. */
  async function verify(token: string): Promise<{ verify_result: VerifyResult; license: LicenseView | null }> {
    const c = await check(token.trim());
    if (c.result !== 'valid') return { verify_result: c.result, license: null };
    const view = viewOf(c, null);
    return { verify_result: view.status === 'expired' ? 'expired' : 'valid', license: view };
  }

  /** OpenWatch's LicenseVerifyResponse. */
  async function verifyReport(token: string) {
    const { verify_result, license } = await verify(token);
    const warnings = [
      ...(license?.using_prev_key ? ['signed with the previous key; rotate at the next renewal'] : []),
      ...(license?.in_grace_period ? ['the license expired but is within its 30-day grace period'] : []),
    ];
    return {
      is_valid: verify_result === 'valid',
      verify_result,
      ...(license ? { tier: license.tier, features: license.features, expires_at: license.expires_at, customer_id: license.customer_id, warnings } : {}),
    };
  }

  return {
    current,
    verify,
    verifyReport,

    /** Installs a license; one that does not verify (or is past its grace period) is refused and changes nothing. */
    async install(token: string, actorId: string | null): Promise<LicenseView> {
      const { verify_result } = await verify(token);
      if (verify_result !== 'valid') {
        throw new RampartError({ code: 'license.invalid', status: 400, message: `the license was not installed: ${verify_result}`, details: { verify_result } });
      }
      const row = { slot: SLOT, token: token.trim(), installed_by: actorId, installed_at: core.now().toISOString() };
      await core.db.kysely
        .insertInto('fleet_license')
        .values(row)
        .onConflict((oc) => oc.column('slot').doUpdateSet({ token: row.token, installed_by: row.installed_by, installed_at: row.installed_at }))
        .execute();
      return current();
    },

    /** Removes the installed license: back to the free tier. Returns whether there was one. */
    async revoke(): Promise<boolean> {
      const result = await core.db.kysely.deleteFrom('fleet_license').where('slot', '=', SLOT).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async capabilities() {
      const view = await current();
      return {
        tier: view.tier,
        status: view.status,
        capabilities: capabilities.map((c) => ({ ...c, available: c.tier === 'free' || grants(view, c.id) })),
      };
    },

    /** Throws 402 license.feature_unavailable unless the license grants the enterprise feature. */
    async require(feature: EnterpriseFeature): Promise<void> {
      if (!grants(await current(), feature)) {
        throw new RampartError({
          code: 'license.feature_unavailable',
          status: 402,
          fault: 'policy',
          message: `this feature (${feature}) needs an enterprise license`,
          details: { feature },
        });
      }
    },
  };
}

export type LicenseService = ReturnType<typeof createLicenseService>;

function grants(view: LicenseView, feature: string): boolean {
  if (view.status !== 'active' && view.status !== 'grace') return false;
  if (!enterpriseFeatures.has(feature)) return true;
  return view.features.includes(feature);
}

function loadKeys(texts: string[], core: Pick<Core, 'logger'>): KeyObject[] {
  return texts.flatMap((text, index) => {
    try {
      return [parsePublicKey(text)];
    } catch (err) {
      core.logger.warn({ index, err: (err as Error).message }, 'license.public_keys: entry ignored');
      return [];
    }
  });
}

