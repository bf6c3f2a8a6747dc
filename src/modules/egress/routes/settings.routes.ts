import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { PerformanceMode } from '../settings/performance-mode.js';
import type { TlsInterceptCa } from '../settings/tls-intercept-ca.js';

const tags = ['egress settings'];
const surface = 'egress' as const;
const PEM_MAX = 64 * 1024;

const performanceModeView = z.object({ enabled: z.boolean(), source: z.enum(['local']).nullable() });
const tlsCaStatus = z.object({ configured: z.boolean(), source: z.enum(['local']).nullable(), fingerprint_sha256: z.string().nullable() });
const tlsCaUpload = z.object({
  ca_cert_pem: z.string().max(PEM_MAX),
  ca_key_pem: z.string().max(PEM_MAX).optional(),
  ca_key_der_b64: z.string().max(PEM_MAX).optional(),
});

/** /api/v1/settings: performance mode and the TLS-intercept CA (SSO providers live in the identity module). */
export function settingsRoutes(deps: { performanceMode: PerformanceMode; tlsCa: TlsInterceptCa }): RouteDefinition<any>[] {
  const { performanceMode, tlsCa } = deps;
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/settings/performance-mode', surface, permission: 'egress_settings:read', tags,
      summary: 'Read the performance-mode flag; source is null while the built-in default (enabled) applies, "local" once written',
      schema: { response: performanceModeView },
      handler: () => performanceMode.get(),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/settings/performance-mode', surface, permission: 'egress_settings:write', tags,
      audit: 'egress.settings.performance_mode',
      summary: 'Enable or disable performance mode; while disabled, audit findings and the wiretap answer 503',
      schema: { body: z.object({ enabled: z.boolean() }), response: performanceModeView },
      handler: async (ctx) => {
        ctx.auditResource('egress_setting', 'performance_mode', { enabled: ctx.body.enabled });
        return performanceMode.set(ctx.body.enabled);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/settings/tls-intercept-ca', surface, permission: 'egress_settings:read', tags,
      summary: 'TLS-intercept CA status: whether one is configured, its source and the SHA-256 fingerprint of its certificate',
      schema: { response: tlsCaStatus },
      handler: () => tlsCa.status(),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/settings/tls-intercept-ca', surface, permission: 'egress_settings:write', tags,
      audit: 'egress.settings.tls_intercept_ca.upload',
      summary: 'Upload the TLS-intercept CA: ca_cert_pem and exactly one of ca_key_pem or ca_key_der_b64 (PKCS#8, SEC1 or PKCS#1 DER). The key is sealed at rest and never returned',
      schema: { body: tlsCaUpload, response: tlsCaStatus, responses: { 400: { description: 'both or neither key field, not a CA, or the key does not match the certificate' } } },
      handler: async (ctx) => {
        const status = await tlsCa.upload(ctx.body);
        ctx.auditResource('egress_tls_intercept_ca', 'default', { fingerprint_sha256: status.fingerprint_sha256 });
        return status;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/settings/tls-intercept-ca', surface, permission: 'egress_settings:write', tags,
      audit: 'egress.settings.tls_intercept_ca.delete',
      summary: 'Remove the TLS-intercept CA (certificate and key); answers the status after removal, as Neuwerk does',
      schema: { response: tlsCaStatus },
      handler: async (ctx) => {
        ctx.auditResource('egress_tls_intercept_ca', 'default');
        await tlsCa.remove();
        return tlsCa.status();
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/settings/tls-intercept-ca/cert', surface, permission: 'egress_settings:read', tags,
      produces: 'application/x-pem-file',
      summary: 'Download the TLS-intercept CA certificate (PEM) for clients to trust; 404 when none is configured',
      schema: { responses: { 404: { description: 'no CA configured' } } },
      handler: async (ctx) => {
        const pem = await tlsCa.certificatePem();
        ctx.reply.header('content-disposition', 'attachment; filename="rampart-tls-intercept-ca.pem"');
        return pem;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/settings/tls-intercept-ca/generate', surface, permission: 'egress_settings:write', tags,
      audit: 'egress.settings.tls_intercept_ca.generate',
      summary: 'Generate a new self-signed CA (ECDSA P-256, ten years), replacing any configured one; returns the status',
      schema: { response: tlsCaStatus },
      handler: async (ctx) => {
        const status = await tlsCa.generate();
        ctx.auditResource('egress_tls_intercept_ca', 'default', { fingerprint_sha256: status.fingerprint_sha256 });
        return status;
      },
    }),
  ];
}
