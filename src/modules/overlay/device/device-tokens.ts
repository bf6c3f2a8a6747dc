import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';

const DEVICE = 'device';

export interface DeviceClaims {
  nodeId: string;
  version: number;
}

/**
 * Device tokens: JWTs signed by the identity keyset ({sub: node id, typ: device, ver}). The core authenticator
 * refuses them as user credentials (wrong typ); device routes check them here. The keyset verifies each
 * token's signature once and remembers it, so a poll costs a map lookup; the version is checked against the node.
 */
export function createDeviceTokens(core: Pick<Core, 'identity' | 'config'>) {
  const invalid = (why = 'invalid or expired device token; enroll again') => errors.unauthorized(why);

  return {
    async issue(nodeId: string, version: number): Promise<string> {
      const ttl = core.config.overlay.device_token_ttl_days * 86_400;
      return (await core.identity.keyset.sign({ sub: nodeId, typ: DEVICE, ver: version }, ttl)).token;
    },

    /** The claims of the request's Bearer device token; 401 when missing, malformed, expired or not a device token. */
    async verify(authorization: string | undefined): Promise<DeviceClaims> {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) throw invalid('a device token is required: Authorization: Bearer <device_token>');
      const claims = await core.identity.keyset.verify(match[1]).catch(() => undefined);
      if (!claims || claims.typ !== DEVICE || typeof claims.ver !== 'number') throw invalid();
      return { nodeId: claims.sub, version: claims.ver };
    },
  };
}

export type DeviceTokens = ReturnType<typeof createDeviceTokens>;
