/**
 * Every operation of every OpenAPI document, tried as a hostile client would: NUL bytes and lone surrogates in each
 * string (path, query, body), wrong types, huge arrays, malformed or empty JSON, a wrong Content-Type, bad
 * percent-encoding and over-long path parameters; as an administrator, and anonymously. Operations are discovered
 * from the served documents, so routes added later are fuzzed too.
 *
 * It fails on any 5xx but the documented 501/502/503, on an error body outside its surface's envelope, and on a
 * mutating request (or a failed login) that left no audit row.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { errors } from '../../src/core/errors.js';
import { renderError, type Surface } from '../../src/http/dialects.js';
import { errorEnvelopes } from '../../src/http/openapi/errors.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

type Json = Record<string, any>;

const DOCUMENTS = ['/api/v1/openapi.json', '/api/openapi.json', '/v1/openapi.json'];
/** Operations that never answer by themselves, so a request would wait for ever. */
const SKIPPED: Record<string, string> = {
  'GET /api/v1/wiretap/stream': 'Server-Sent Events: streams until the client leaves',
  'GET /api/v1/pending/stream': 'Server-Sent Events: streams until the client leaves (tested in test/api/edge-network-frame.test.ts)',
  'GET /api/v1/events': 'Server-Sent Events: streams until the client leaves (its bad topics: test/api/fleet-identity.test.ts)',
};
/** Statuses an operation may answer for a dependency it waits on (not configured, unreachable, down). */
const DOCUMENTED_5XX = new Set([501, 502, 503]);
/** Statuses answered before a handler or authorization decided anything: no audit row is owed for them. */
const NOT_AUDITED = new Set([400, 401, 404, 405, 413, 414, 415, 429]);
const LONG_PARAM = 'a'.repeat(1_000);
const HUGE_ARRAY = 5_000;

interface Operation {
  method: string;
  template: string;
  op: Json;
  surface: Surface;
  doc: Json;
}

interface Case {
  name: string;
  path: string;
  body?: string;
  contentType?: string;
  /** The statuses this input must get, when it is refused whatever the operation (429: rate limits come first). */
  refusedWith?: (status: number) => boolean;
}

const BAD_REQUEST = (status: number) => status === 400 || status === 429;
const CLIENT_ERROR = (status: number) => status >= 400 && status < 500;
/** Strings of a body tried one by one; enough for the widest bodies of today. */
const STRINGS_PER_BODY = 40;

let r: TestRampart;
let admin: SignedIn;
let sequence = 0;

before(async () => {
  r = await createTestRampart();
  admin = await signIn(r, { roles: ['admin'] });
});
after(() => r?.cleanup());

test('no operation answers malformed input with a 5xx, an error outside its envelope, or a missing audit row', async () => {
  const operations = await discoverOperations();
  assert.ok(operations.length > 50, `only ${operations.length} operations discovered`);
  const failures: string[] = [];
  for (const operation of operations) {
    const key = `${operation.method} ${operation.template}`;
    if (SKIPPED[key]) continue;
    assert.ok(!streams(operation), `${key} streams events; add it to SKIPPED with the reason`);
    // A fresh session per operation: an operation that ends sessions must not blind the ones after it.
    const session = await r.core.identity.sessions.open(admin.user.id, { method: 'password', clientIp: '127.0.0.1', userAgent: 'fuzz' });
    const asAdmin = { authorization: `Bearer ${session.access_token}` };
    const isPublic = operation.op['x-rampart-permission'] === 'public';
    for (const c of casesFor(operation)) {
      failures.push(...(await attempt(operation, c, asAdmin)));
      if (isPublic) failures.push(...(await attempt(operation, c, {})));
    }
    if (!isPublic) failures.push(...(await attempt(operation, { name: 'anonymous', path: fillPath(operation) }, {})));
  }
  assert.equal(failures.length, 0, `${failures.length} failures:\n${failures.join('\n')}`);
});

async function discoverOperations(): Promise<Operation[]> {
  const operations: Operation[] = [];
  for (const url of DOCUMENTS) {
    const res = await r.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 200, url);
    const doc = res.json() as Json;
    for (const [template, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(item)) {
        operations.push({ method: method.toUpperCase(), template, op, doc, surface: surfaceOf(op) });
      }
    }
  }
  return operations;
}

/** The surface whose envelope the operation documents for its errors. */
function surfaceOf(op: Json): Surface {
  const ref: string = op.responses?.['500']?.content?.['application/json']?.schema?.$ref ?? '';
  const name = ref.slice(ref.lastIndexOf('/') + 1);
  const surface = (Object.keys(errorEnvelopes) as Surface[]).find((s) => errorEnvelopes[s].name === name);
  assert.ok(surface, `no error envelope documented for ${op.operationId}`);
  return surface;
}

function streams(operation: Operation): boolean {
  return Object.values<Json>(operation.op.responses ?? {}).some((res) => res.content?.['text/event-stream']);
}

/** A handful of malformed requests for one operation. */
function casesFor(operation: Operation): Case[] {
  const { op, doc } = operation;
  const pathParams: Json[] = (op.parameters ?? []).filter((p: Json) => p.in === 'path');
  const queryParams: Json[] = (op.parameters ?? []).filter((p: Json) => p.in === 'query');
  const path = fillPath(operation);
  const cases: Case[] = [];
  const withQuery = (value: string) => {
    const names = queryParams.length ? queryParams.map((p) => p.name) : ['q'];
    return `${path}?${names.map((n) => `${encodeURIComponent(n)}=${value}`).join('&')}`;
  };
  cases.push({ name: 'NUL in the query', path: withQuery('x%00'), refusedWith: BAD_REQUEST });
  cases.push({ name: 'lone surrogate in the query', path: withQuery('%ED%A0%80') });
  if (queryParams.length) cases.push({ name: 'array where the query takes one value', path: withQuery('1&' + queryParams.map((p) => `${p.name}=2`).join('&')) });
  for (const param of pathParams.slice(0, 2)) {
    cases.push({ name: `NUL in {${param.name}}`, path: fillPath(operation, { [param.name]: 'x%00' }), refusedWith: BAD_REQUEST });
    cases.push({ name: `bad percent-encoding in {${param.name}}`, path: fillPath(operation, { [param.name]: '%' }), refusedWith: (s) => s === 400 });
    cases.push({ name: `over-long {${param.name}}`, path: fillPath(operation, { [param.name]: LONG_PARAM }), refusedWith: (s) => s === 414 });
  }

  const schema = op.requestBody?.content?.['application/json']?.schema;
  if (operation.method === 'GET') return cases;
  // A body where none is expected is still parsed, and must fail like any other.
  if (!schema) return [...cases, { name: 'malformed JSON where no body is expected', path, body: '{"a":', contentType: 'application/json', refusedWith: BAD_REQUEST }];
  const sample = sampleOf(schema, doc, 0);
  const json = (body: unknown) => ({ path, body: JSON.stringify(body), contentType: 'application/json' });
  const strings = leaves(sample, (v) => typeof v === 'string').slice(0, STRINGS_PER_BODY);
  for (const at of strings) {
    cases.push({ name: `NUL in body ${at.join('.')}`, ...json(replaceAt(sample, at, 'x\u0000y')), refusedWith: BAD_REQUEST });
    cases.push({ name: `lone surrogate in body ${at.join('.')}`, ...json(replaceAt(sample, at, 'x\ud800y')), refusedWith: BAD_REQUEST });
  }
  cases.push({ name: 'wrong types in the body', ...json(wrongTypes(sample)) });
  const arrays = leaves(sample, Array.isArray, true);
  if (arrays.length) cases.push({ name: 'huge arrays in the body', ...json(arrays.reduce((s, at) => replaceAt(s, at, Array(HUGE_ARRAY).fill(atPath(s, at)[0] ?? 'x')), sample)), refusedWith: CLIENT_ERROR });
  cases.push({ name: 'malformed JSON', path, body: '{"a":', contentType: 'application/json', refusedWith: BAD_REQUEST });
  // On the edge an empty JSON body is no body (AiFw's UI sends the header on bodiless POSTs): refused where one is required.
  const bodyOptional = operation.surface === 'edge' && op.requestBody?.required === false;
  cases.push({ name: 'empty JSON body', path, body: '', contentType: 'application/json', ...(bodyOptional ? {} : { refusedWith: BAD_REQUEST }) });
  cases.push({ name: 'a body that is not JSON', path, body: 'x=1', contentType: 'text/plain' });
  cases.push({ name: 'an array for a body', path, body: '[[[]]]', contentType: 'application/json' });
  return cases;
}

async function attempt(operation: Operation, c: Case, auth: Record<string, string>): Promise<string[]> {
  const correlationId = `fuzz-${++sequence}`;
  const res = await r.app.inject({
    method: operation.method as any,
    url: c.path,
    headers: { ...auth, 'x-correlation-id': correlationId, ...(c.contentType ? { 'content-type': c.contentType } : {}) },
    ...(c.body !== undefined ? { payload: c.body } : {}),
  });
  const who = auth.authorization ? 'admin' : 'anonymous';
  const label = `${operation.method} ${operation.template} [${c.name}, ${who}] -> ${res.statusCode}`;
  const failures: string[] = [];
  // The access spec answers what its schema refuses with 422 validation_error where the others answer 400.
  const status = operation.surface === 'access' && res.statusCode === 422 ? 400 : res.statusCode;
  if (res.statusCode >= 500 && !DOCUMENTED_5XX.has(res.statusCode)) failures.push(`${label}: ${res.body.slice(0, 200)}`);
  else if (c.refusedWith && !c.refusedWith(status)) failures.push(`${label}: this input must be refused`);
  if (res.statusCode >= 400) {
    const problem = envelopeProblem(operation.surface, res.body);
    if (problem) failures.push(`${label}: ${problem}: ${res.body.slice(0, 200)}`);
    if (res.body.includes(LONG_PARAM) || res.body.includes(c.path)) failures.push(`${label}: the error echoes the path`);
  }
  if (owesAuditRow(operation, status)) {
    const { items } = await r.core.audit.list({ correlationId }, { limit: 5 });
    if (items.length === 0) failures.push(`${label}: no audit row`);
  }
  return failures;
}

function owesAuditRow(operation: Operation, status: number): boolean {
  if (operation.method === 'GET') return false;
  if (operation.op['x-rampart-audit-action']) return !NOT_AUDITED.has(status) || status === 403;
  // A login that was tried and refused is recorded by the login itself.
  return /\/login$/.test(operation.template) && status === 401;
}

/** What is wrong with an error body for the surface, or null: the keys must be the ones dialects.ts renders. */
function envelopeProblem(surface: Surface, body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  const expected = shape(renderError(surface, errors.badRequest('x'), 'id'));
  return expected === shape(parsed, true) ? null : `expected the ${surface} envelope ${expected}`;
}

function shape(value: unknown, dropDetails = false): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return typeof value;
  // The detail object is there only when the error has one (the fleet renders it as `detail` and `details`;
  // the overlay's `detail` is its message, a string, and stays).
  const isDetail = (k: string, v: unknown) => k === 'details' || (k === 'detail' && typeof v === 'object');
  const entries = Object.entries(value as Json).filter(([k, v]) => !(dropDetails && isDetail(k, v)));
  return `{${entries.map(([k, v]) => `${k}:${shape(v, dropDetails)}`).sort().join(',')}}`;
}

/** The operation's path with plausible values for its parameters (overrides are used as they are, unencoded). */
function fillPath(operation: Operation, overrides: Record<string, string> = {}): string {
  const params: Json[] = (operation.op.parameters ?? []).filter((p: Json) => p.in === 'path');
  return operation.template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (name in overrides) return overrides[name];
    const schema = resolve(params.find((p) => p.name === name)?.schema ?? {}, operation.doc);
    return encodeURIComponent(String(sampleOf(schema, operation.doc, 0) ?? 'x'));
  });
}

function resolve(schema: Json, doc: Json): Json {
  let s = schema;
  for (let i = 0; typeof s?.$ref === 'string' && i < 10; i++) s = doc.components.schemas[s.$ref.split('/').pop()!] ?? {};
  return s ?? {};
}

/** A value the schema would likely accept: every property, the first of each choice, bounded depth. */
function sampleOf(input: Json, doc: Json, depth: number): unknown {
  const s = resolve(input, doc);
  if (depth > 5) return null;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if ('default' in s && s.default !== undefined && typeof s.default !== 'object') return s.default;
  const choice = s.anyOf ?? s.oneOf;
  if (Array.isArray(choice)) return sampleOf(choice.find((c: Json) => resolve(c, doc).type !== 'null') ?? choice[0], doc, depth + 1);
  if (Array.isArray(s.allOf)) return sampleOf(s.allOf[0], doc, depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Json = {};
      for (const [k, v] of Object.entries<Json>(s.properties ?? {})) out[k] = sampleOf(v, doc, depth + 1);
      return out;
    }
    case 'array':
      return s.items ? [sampleOf(s.items, doc, depth + 1)] : [];
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return true;
    case 'string':
      return sampleString(s);
    default:
      return 'x';
  }
}

function sampleString(s: Json): string {
  if (s.format === 'uuid') return randomUUID();
  if (s.format === 'email') return 'fuzz@example.com';
  if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
  if (s.format === 'uri') return 'https://example.com/';
  if (s.format === 'ipv4') return '10.0.0.1';
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  return 'fuzz'.padEnd(Math.min(Math.max(min, 4), s.maxLength ?? 64), 'z');
}

/** Paths to the leaves (or arrays) of a sample value that match. */
function leaves(value: unknown, match: (v: unknown) => boolean, arraysOnly = false, at: (string | number)[] = []): (string | number)[][] {
  if (match(value)) return [at];
  if (Array.isArray(value)) return arraysOnly ? [] : value.flatMap((v, i) => leaves(v, match, arraysOnly, [...at, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, match, arraysOnly, [...at, k]));
  return [];
}

function atPath(value: any, at: (string | number)[]): any {
  return at.reduce((v, k) => v?.[k], value);
}

function replaceAt(value: any, at: (string | number)[], replacement: unknown): any {
  if (at.length === 0) return replacement;
  const copy = Array.isArray(value) ? [...value] : { ...value };
  copy[at[0] as any] = replaceAt(value[at[0] as any], at.slice(1), replacement);
  return copy;
}

function wrongTypes(value: unknown): unknown {
  if (typeof value === 'string') return 12345;
  if (typeof value === 'number' || typeof value === 'boolean') return 'not-a-number';
  if (Array.isArray(value)) return { not: 'an array' };
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrongTypes(v)]));
  return [];
}
