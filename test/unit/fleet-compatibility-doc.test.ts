/**
 * docs/fleet-compatibility.md against the routes Rampart really registers. A row marked `served` must be a fleet
 * route, a row marked `later` or `not served` must not be one (and must say which other surface holds its path, if
 * one does), and every fleet route under /api/v1 must have a row. Serving an operation therefore forces its row to
 * say so, and a route nobody documented fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { toOpenApiPath } from '../../src/http/openapi/paths.js';
import type { RouteDefinition } from '../../src/http/route.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

const DOC = new URL('../../docs/fleet-compatibility.md', import.meta.url);
const ORIGINS = new Set(['G', 'S', 'L', 'R']);
const STATES = new Set(['served', 'later', 'not served']);
// Facts about OpenWatch, not about Rampart: a row lost in a merge shows up as a wrong count.
const GUIDE_OPERATIONS = 63;
const SOURCE_OPERATIONS = 159 + 3; // api/openapi.yaml, plus /api/v1/events, /api/v1/openapi.yaml and /docs

interface Row {
  line: number;
  method: string;
  path: string;
  origins: string[];
  permission: string;
  rampart: string;
  notes: string;
}

/** The table rows of the page: every line whose first cell is `METHOD /path`. */
function parseRows(markdown: string): Row[] {
  const rows: Row[] = [];
  markdown.split('\n').forEach((text, index) => {
    const operation = /^\|\s*`?(GET|POST|PUT|PATCH|DELETE) (\/\S*?)`?\s*\|/.exec(text);
    if (!operation) return;
    const cells = text.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
    assert.equal(cells.length, 5, `line ${index + 1} does not have 5 cells: ${text}`);
    rows.push({
      line: index + 1,
      method: operation[1],
      path: operation[2],
      origins: cells[1].split(/[\s,]+/).filter(Boolean),
      permission: cells[2],
      rampart: cells[3],
      notes: cells[4],
    });
  });
  return rows;
}

/** Method and path with parameter names dropped: /hosts/{host_id} and Fastify's /hosts/:id are one operation. */
function shapeOf(method: string, openApiPath: string): string {
  return `${method} ${openApiPath.replace(/\{[^}]*\}/g, '{}')}`;
}

function routeShape(route: RouteDefinition<any>): string {
  return shapeOf(route.method, toOpenApiPath(route.path).template);
}

const label = (row: Row) => `line ${row.line}: ${row.method} ${row.path}`;

describe('docs/fleet-compatibility.md', () => {
  const rows = parseRows(readFileSync(DOC, 'utf8'));
  let r: TestRampart;
  /** Registered routes by shape, with the surfaces that declare them. */
  let registered: Map<string, Set<string>>;
  before(async () => {
    r = await createTestRampart();
    registered = new Map();
    for (const route of r.routes) {
      const shape = routeShape(route);
      registered.set(shape, (registered.get(shape) ?? new Set()).add(route.surface));
    }
  });
  after(() => r.cleanup());

  test('every row is well formed: known origins, a permission, a known state, a reason when not served', () => {
    assert.ok(rows.length > 200, `only ${rows.length} rows parsed`);
    const wrong = rows.flatMap((row) => {
      const problems = [
        row.origins.length === 0 || row.origins.some((o) => !ORIGINS.has(o)) ? `origins "${row.origins.join(' ')}"` : '',
        row.origins.includes('R') && row.origins.length > 1 ? 'R (Rampart only) mixed with OpenWatch origins' : '',
        row.permission === '' ? 'no permission' : '',
        STATES.has(row.rampart) ? '' : `state "${row.rampart}"`,
        row.rampart === 'not served' && row.notes === '' ? 'not served without a reason' : '',
      ].filter(Boolean);
      return problems.length ? [`${label(row)}: ${problems.join(', ')}`] : [];
    });
    assert.deepEqual(wrong, []);
  });

  test('no operation has two rows', () => {
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

  test('every operation of the guide and of the source has its row', () => {
    assert.equal(rows.filter((row) => row.origins.includes('G')).length, GUIDE_OPERATIONS);
    assert.equal(rows.filter((row) => row.origins.includes('S')).length, SOURCE_OPERATIONS);
  });

  test('a row marked served is a registered fleet route', () => {
    const missing = rows
      .filter((row) => row.rampart === 'served' && !registered.get(shapeOf(row.method, row.path))?.has('fleet'))
      .map(label);
    assert.deepEqual(missing, []);
  });

  test('a row marked later or not served is no fleet route, and names the surface that holds its path', () => {
    const wrong = rows
      .filter((row) => row.rampart !== 'served')
      .flatMap((row) => {
        const surfaces = registered.get(shapeOf(row.method, row.path)) ?? new Set<string>();
        if (surfaces.has('fleet')) return [`${label(row)} is served: mark it served`];
        const unnamed = [...surfaces].filter((surface) => !row.notes.includes(`${surface} surface`));
        return unnamed.map((surface) => `${label(row)} is registered by the ${surface} surface: say so in the notes`);
      });
    assert.deepEqual(wrong, []);
  });

  test('every fleet route under /api/v1 has a row', () => {
    const documented = new Set(rows.map((row) => shapeOf(row.method, row.path)));
    const fleetRoutes = r.routes.filter((route) => route.surface === 'fleet' && route.path.startsWith('/api/v1/'));
    assert.ok(fleetRoutes.length > 10, `only ${fleetRoutes.length} fleet routes found`);
    const undocumented = fleetRoutes
      .filter((route) => !documented.has(routeShape(route)))
      .map((route) => `${route.method} ${route.path}`);
    assert.deepEqual(undocumented, []);
  });
});
