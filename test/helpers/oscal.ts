const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TOKEN = /^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$/u;
const DATETIME_TZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export type Json = Record<string, any>;

/** The keys OSCAL allows on each object Rampart writes (its schema sets additionalProperties false on all of them). */
const ALLOWED: Record<string, string[]> = {
  'assessment-results': ['uuid', 'metadata', 'import-ap', 'local-definitions', 'results', 'back-matter'],
  metadata: ['title', 'published', 'last-modified', 'version', 'oscal-version', 'revisions', 'document-ids', 'props', 'links', 'roles', 'locations', 'parties', 'responsible-parties', 'remarks'],
  result: ['uuid', 'title', 'description', 'start', 'end', 'props', 'links', 'local-definitions', 'reviewed-controls', 'attestations', 'assessment-log', 'observations', 'risks', 'findings', 'remarks'],
  observation: ['uuid', 'title', 'description', 'props', 'links', 'methods', 'types', 'origins', 'subjects', 'relevant-evidence', 'collected', 'expires', 'remarks'],
  'relevant-evidence': ['href', 'description', 'props', 'links', 'remarks'],
  finding: ['uuid', 'title', 'description', 'props', 'links', 'origins', 'target', 'implementation-statement-uuid', 'related-observations', 'related-risks', 'remarks'],
  target: ['type', 'target-id', 'title', 'description', 'props', 'links', 'status', 'implementation-status', 'remarks'],
  resource: ['uuid', 'title', 'description', 'props', 'document-ids', 'citation', 'rlinks', 'base64', 'remarks'],
  component: ['uuid', 'type', 'title', 'description', 'purpose', 'props', 'links', 'status', 'responsible-roles', 'protocols', 'remarks'],
  'inventory-item': ['uuid', 'description', 'props', 'links', 'responsible-parties', 'implemented-components', 'remarks'],
};

/**
 * What OSCAL 1.1's assessment-results schema requires of the objects Rampart writes: required keys, uuids, tokens,
 * non-blank strings, timestamps with a zone, allowed enum values, and every internal reference resolving.
 */
export function oscalProblems(doc: Json): string[] {
  const problems: string[] = [];
  const need = (where: string, obj: Json | undefined, keys: string[]) => {
    for (const k of keys) if (obj?.[k] === undefined) problems.push(`${where} lacks ${k}`);
    const allowed = ALLOWED[where];
    for (const k of Object.keys(obj ?? {})) if (allowed && !allowed.includes(k)) problems.push(`${where} has ${k}, which OSCAL does not define`);
  };
  const uuids = new Set<string>();
  const uuid = (where: string, value: unknown) => {
    if (typeof value !== 'string' || !UUID.test(value)) problems.push(`${where}: ${String(value)} is not a uuid`);
    else if (uuids.has(value)) problems.push(`${where}: uuid ${value} used twice`);
    else uuids.add(value);
  };
  const props = (where: string, list: Json[] | undefined) => {
    for (const p of list ?? []) {
      if (!TOKEN.test(p.name)) problems.push(`${where}: prop name ${p.name}`);
      if (typeof p.value !== 'string' || !/^\S(.*\S)?$/s.test(p.value)) problems.push(`${where}: prop ${p.name} value ${JSON.stringify(p.value)}`);
    }
  };
  // Every array in OSCAL's JSON has minItems 1: an empty list is left out, never sent.
  const emptyLists = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      if (value.length === 0) problems.push(`${path} is an empty array`);
      value.forEach((v, i) => emptyLists(v, `${path}[${i}]`));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) emptyLists(v, `${path}.${k}`);
    }
  };
  emptyLists(doc, '$');
  const ar = doc['assessment-results'];
  need('assessment-results', ar, ['uuid', 'metadata', 'import-ap', 'results']);
  uuid('assessment-results', ar?.uuid);
  need('metadata', ar?.metadata, ['title', 'last-modified', 'version', 'oscal-version']);
  if (!DATETIME_TZ.test(ar?.metadata?.['last-modified'] ?? '')) problems.push('metadata last-modified');
  props('metadata', ar?.metadata?.props);
  const resources = new Set<string>();
  for (const res of ar?.['back-matter']?.resources ?? []) {
    need('resource', res, ['uuid']);
    uuid('resource', res.uuid);
    resources.add(res.uuid);
    props('resource', res.props);
    if (res.base64) need('resource base64', res.base64, ['value']);
  }
  const href = (where: string, h: string | undefined) => {
    if (h !== undefined && !resources.has(h.replace(/^#/, ''))) problems.push(`${where}: ${h} resolves to no back-matter resource`);
  };
  href('import-ap', ar?.['import-ap']?.href);
  for (const result of ar?.results ?? []) {
    need('result', result, ['uuid', 'title', 'description', 'start', 'reviewed-controls']);
    uuid('result', result.uuid);
    for (const t of [result.start, result.end].filter(Boolean)) if (!DATETIME_TZ.test(t)) problems.push(`result time ${t}`);
    const components = new Set<string>();
    for (const c of result['local-definitions']?.components ?? []) {
      uuid('component', c.uuid);
      components.add(c.uuid);
      need('component', c, ['type', 'title', 'description', 'status']);
    }
    const items = new Set<string>();
    for (const item of result['local-definitions']?.['inventory-items'] ?? []) {
      uuid('inventory-item', item.uuid);
      items.add(item.uuid);
      need('inventory-item', item, ['description']);
      props('inventory-item', item.props);
    }
    for (const sel of result['reviewed-controls']['control-selections'] ?? []) {
      for (const c of sel['include-controls'] ?? []) if (!TOKEN.test(c['control-id'])) problems.push(`control-id ${c['control-id']}`);
    }
    const observations = new Set<string>();
    for (const o of result.observations ?? []) {
      need('observation', o, ['uuid', 'description', 'methods', 'collected']);
      uuid('observation', o.uuid);
      observations.add(o.uuid);
      props('observation', o.props);
      if (!o.methods.every((m: string) => ['EXAMINE', 'INTERVIEW', 'TEST', 'UNKNOWN'].includes(m))) problems.push(`observation methods ${o.methods}`);
      for (const origin of o.origins ?? []) for (const a of origin.actors) if (!components.has(a['actor-uuid'])) problems.push('an origin names no component');
      for (const s of o.subjects ?? []) if (!items.has(s['subject-uuid'])) problems.push('a subject names no inventory item');
      for (const e of o['relevant-evidence'] ?? []) {
        need('relevant-evidence', e, ['description']);
        props('relevant-evidence', e.props);
        href('relevant-evidence', e.href);
      }
    }
    for (const f of result.findings ?? []) {
      need('finding', f, ['uuid', 'title', 'description', 'target']);
      uuid('finding', f.uuid);
      props('finding', f.props);
      need('finding target', f.target, ['type', 'target-id', 'status']);
      if (!['statement-id', 'objective-id'].includes(f.target?.type)) problems.push(`target type ${f.target?.type}`);
      need('target', f.target, []);
      if (!TOKEN.test(f.target?.['target-id'] ?? '')) problems.push(`target-id ${f.target?.['target-id']}`);
      if (!['satisfied', 'not-satisfied'].includes(f.target?.status?.state)) problems.push(`state ${f.target?.status?.state}`);
      for (const rel of f['related-observations'] ?? []) if (!observations.has(rel['observation-uuid'])) problems.push('a finding names no observation');
    }
  }
  return problems;
}

