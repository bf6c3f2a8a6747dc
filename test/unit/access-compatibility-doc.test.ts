/**
 * The compatibility table of docs/access.md against the routes Rampart really registers and the paths of the ZTNA
 * spec. A row marked `served` must be an access route, a row marked `later` or `not served` must not be one, every
 * path of the spec must have a row, and every access route must have one. Serving a route therefore forces its row
 * to say so, and a route nobody documented fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { toOpenApiPath } from '../../src/http/openapi/paths.js';
import type { RouteDefinition } from '../../src/http/route.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

const DOC = new URL('../../docs/access.md', import.meta.url);
const STATES = new Set(['served', 'later', 'not served']);

/**
 * Facts about the spec (the ZTNA control plane's API reference), not about Rampart: its 78 paths, 2 probes, 47
 * under /v1/admin and 29 client, device and gateway paths. A row lost in a merge shows up here.
 */
const SPEC_PATHS = [
  '/healthz', '/readyz',
  '/v1/admin/users', '/v1/admin/users/lifecycle', '/v1/admin/users/password', '/v1/admin/users/suspend',
  '/v1/admin/users/reactivate', '/v1/admin/users/totp/enroll', '/v1/admin/users/totp/verify', '/v1/admin/users/totp/disable',
  '/v1/admin/groups', '/v1/admin/groups/lifecycle',
  '/v1/admin/devices', '/v1/admin/devices/lifecycle', '/v1/admin/devices/batch',
  '/v1/admin/rbac/grant', '/v1/admin/rbac/revoke',
  '/v1/admin/sessions',
  '/v1/admin/tokens/generate', '/v1/admin/tokens', '/v1/admin/tokens/{token_id}', '/v1/admin/tokens/{token_id}/revoke',
  '/v1/admin/policy/publish',
  '/v1/admin/settings/providers', '/v1/admin/settings/signers', '/v1/admin/settings/gateway-pools',
  '/v1/admin/tenants', '/v1/admin/tenants/lifecycle', '/v1/admin/tenants/{tenant_id}/entitlement',
  '/v1/admin/tenants/{tenant_id}/entitlement/status', '/v1/admin/tenants/{tenant_id}/alerts', '/v1/admin/tenants/{tenant_id}/usage',
  '/v1/admin/license/reload', '/v1/admin/license/status',
  '/v1/admin/audit/export', '/v1/admin/audit/connectors/schema',
  '/v1/admin/gateway/health', '/v1/admin/certs/expiry', '/v1/admin/ops/export', '/v1/admin/workflows/run',
  '/v1/admin/dashboard/overview', '/v1/admin/compliance/retention', '/v1/admin/connection_truth',
  '/v1/admin/api-keys',
  '/v1/admin/directory-sync/snapshot', '/v1/admin/directory-sync/status', '/v1/admin/directory-sync/keycloak/run',
  '/v1/admin/siem/connector',
  '/v1/admin/incident/playbook',
  '/v1/enroll', '/v1/enroll/oidc', '/v1/enroll/saml', '/v1/mobile/auth/oidc/providers',
  '/v1/trust/anchors', '/v1/trust/anchors/rotate', '/v1/policy/bundle', '/v1/policy/digest',
  '/v1/spc/issue', '/v1/spc/bundle', '/v1/spc/rotate', '/v1/spc/revoke', '/v1/spc/validate',
  '/v1/gateway/runtime/trust-anchors', '/v1/gateway/runtime/policy-bundle', '/v1/gateway/runtime/deployment-config',
  '/v1/gateway/runtime/spc-bundle', '/v1/gateway/runtime/auth-material-manifest', '/v1/gateway/runtime/client-admission-grant',
  '/v1/gateway/pools',
  '/v1/gateway/metering',
  '/v1/posture/assertion', '/v1/update/manifest', '/v1/update/package',
  '/v1/audit/ingest', '/v1/audit/events', '/v1/audit/export/syslog', '/v1/audit/export/webhook',
  '/v1/telemetry/session',
];

interface Row {
  line: number;
  method: string;
  path: string;
  status: string;
  notes: string;
}

/** The rows of the compatibility section: every line whose first two cells are a method and a `/path`. */
function parseRows(markdown: string): Row[] {
  const start = markdown.indexOf('<!-- section: compatibility -->');
  assert.ok(start >= 0, 'docs/access.md has no compatibility section');
  const end = markdown.indexOf('<!-- section:', start + 1);
  const offset = markdown.slice(0, start).split('\n').length - 1;
  const rows: Row[] = [];
  markdown.slice(start, end < 0 ? undefined : end).split('\n').forEach((text, index) => {
    const row = /^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`(\/[^`]*)`\s*\|/.exec(text);
    if (!row) return;
    const cells = text.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
    assert.equal(cells.length, 4, `line ${offset + index + 1} does not have 4 cells: ${text}`);
    rows.push({ line: offset + index + 1, method: row[1], path: row[2], status: cells[2], notes: cells[3] });
  });
  return rows;
}

/** Path with parameter names dropped: /tokens/{token_id} and Fastify's /tokens/:id are one path. */
const pathShape = (openApiPath: string) => openApiPath.replace(/\{[^}]*\}/g, '{}');
const shapeOf = (method: string, openApiPath: string) => `${method} ${pathShape(openApiPath)}`;
const routeShape = (route: RouteDefinition<any>) => shapeOf(route.method, toOpenApiPath(route.path).template);
const label = (row: Row) => `line ${row.line}: ${row.method} ${row.path}`;

describe('docs/access.md compatibility table', () => {
  const markdown = readFileSync(DOC, 'utf8');
  const rows = parseRows(markdown);
  let r: TestRampart;
  /** The access surface's routes by shape. */
  let accessRoutes: RouteDefinition<any>[];
  let served: Set<string>;
  before(async () => {
    r = await createTestRampart();
    accessRoutes = r.routes.filter((route) => route.surface === 'access');
    served = new Set(accessRoutes.map(routeShape));
  });
  after(() => r.cleanup());

  test('every row is well formed: a known status, the issue of a later row, the reason of a not served one', () => {
    assert.ok(rows.length >= 90, `only ${rows.length} rows parsed`);
    const wrong = rows.flatMap((row) => {
      const problems = [
        STATES.has(row.status) ? '' : `status "${row.status}"`,
        row.status === 'later' && !/issue \d+/.test(row.notes) ? 'later without its issue' : '',
        row.status === 'not served' && row.notes === '' ? 'not served without a reason' : '',
      ].filter(Boolean);
      return problems.length ? [`${label(row)}: ${problems.join(', ')}`] : [];
    });
    assert.deepEqual(wrong, []);
  });

  test('no route has two rows', () => {
    const seen = new Map<string, Row>();
    const twice: string[] = [];
    for (const row of rows) {
      const shape = shapeOf(row.method, row.path);
      const first = seen.get(shape);
      if (first) twice.push(`${label(row)} repeats line ${first.line}`);
      else seen.set(shape, row);
    }
    assert.deepEqual(twice, []);
  });

  test('every path of the spec has a row', () => {
    assert.equal(new Set(SPEC_PATHS).size, 78);
    assert.equal(SPEC_PATHS.filter((path) => path.startsWith('/v1/admin/')).length, 47);
    const documented = new Set(rows.map((row) => pathShape(row.path)));
    assert.deepEqual(SPEC_PATHS.filter((path) => !documented.has(pathShape(path))), []);
  });

  test('a row outside the spec says it is an addition', () => {
    const spec = new Set(SPEC_PATHS.map(pathShape));
    const unmarked = rows
      .filter((row) => !spec.has(pathShape(row.path)) && row.status === 'served' && !row.notes.includes("Rampart's addition"))
      .map(label);
    assert.deepEqual(unmarked, []);
  });

  test('a row marked served is a registered access route', () => {
    assert.deepEqual(rows.filter((row) => row.status === 'served' && !served.has(shapeOf(row.method, row.path))).map(label), []);
  });

  test('a row marked later or not served is no access route', () => {
    const wrong = rows
      .filter((row) => row.status !== 'served' && served.has(shapeOf(row.method, row.path)))
      .map((row) => `${label(row)} is served: mark it served`);
    assert.deepEqual(wrong, []);
  });

  test('every access route has a row', () => {
    assert.ok(accessRoutes.length > 50, `only ${accessRoutes.length} access routes found`);
    const documented = new Set(rows.map((row) => shapeOf(row.method, row.path)));
    const undocumented = accessRoutes.filter((route) => !documented.has(routeShape(route))).map((route) => `${route.method} ${route.path}`);
    assert.deepEqual(undocumented, []);
  });

  test('the page stands alone: no link outside docs/', () => {
    assert.deepEqual(markdown.match(/\]\(\.\.\/[^)]*\)|\.\.\/shared/g) ?? [], []);
  });
});
