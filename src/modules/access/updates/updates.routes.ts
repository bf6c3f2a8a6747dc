import { z } from 'zod';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { CHANNELS, PLATFORM } from './update.service.js';
import { compareVersions } from './update.protocol.js';

const tags = ['access updates'];
const version = z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]{1,32})?$/, 'a version such as 1.4.2');
const query = z.object({
  platform: z.string().regex(PLATFORM, 'a platform such as linux-x64').default('linux-x64'),
  channel: z.enum(CHANNELS).default('stable'),
  /** The client's version: update_available says whether the manifest's is newer. */
  current: version.optional(),
});
const manifest = z.object({
  version: z.string(),
  min_supported: z.string().nullable(),
  channel: z.string(),
  platform: z.string(),
  url: z.string(),
  sha256: z.string(),
  size: z.number().int(),
  algorithm: z.literal('Ed25519'),
  kid: z.string(),
  signature: z.string(),
  update_available: z.boolean().optional(),
});

/** GET /v1/update/manifest and /v1/update/package: signed agent updates for enrolled devices and gateways. */
export function updateRoutes(access: AccessServices): RouteDefinition<any>[] {
  const { updates, callers } = access;
  // Enrolled devices (suspended ones too: an update may be what they need) and gateways, or admins who may read devices.
  const caller = (ctx: RouteContext<any>) => callers.any(ctx, { device: { allowSuspended: true }, gateway: true, adminPermission: 'access_device:read' });
  return [
    defineRoute({
      method: 'GET', path: '/v1/update/manifest', surface: 'access', permission: 'public', credentials: 'own', tags,
      summary: 'The newest agent package of a platform and channel: version, sha256, size, and an Ed25519 signature by the update-signing key',
      description: "Signed text: 'rampart-agent-update/v1', channel, platform, version, min_supported ('' when none), sha256, size, joined by newlines. 404 when nothing is published for the platform and channel.",
      schema: { query, response: manifest },
      handler: async (ctx) => {
        await caller(ctx);
        const m = await updates.manifest(ctx.query.channel, ctx.query.platform);
        return ctx.query.current === undefined ? m : { ...m, update_available: compareVersions(m.version, ctx.query.current) > 0 };
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/update/package', surface: 'access', permission: 'public', credentials: 'own', tags,
      summary: 'Download an agent package (the newest, or the version named); its sha256 in X-Checksum-Sha256',
      schema: { query: query.omit({ current: true }).extend({ version: version.optional() }) },
      handler: async (ctx) => {
        await caller(ctx);
        const pkg = updates.packageFile(ctx.query.channel, ctx.query.platform, ctx.query.version);
        return ctx.raw.reply
          .code(200)
          .type('application/octet-stream')
          .header('content-length', String(pkg.size))
          .header('x-checksum-sha256', pkg.sha256)
          .header('x-rampart-version', pkg.version)
          .header('content-disposition', `attachment; filename="rampart-agent-${ctx.query.platform}-${pkg.version}"`)
          .send(pkg.stream());
      },
    }),
  ];
}
