import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;
/** Requests are described by what a client may send ('input'), responses by what the server returns ('output'). */
export type SchemaIo = 'input' | 'output';

/** Turns zod schemas into JSON Schema for one document, collecting shared and recursive parts as components. */
export interface SchemaComponents {
  /** `hint` names the components this schema may need (recursive roots, anonymous cycles). */
  convert(schema: z.ZodType, io: SchemaIo, hint: string): JsonSchema;
  /** Everything convert() hoisted (and the initial schemas), for `components.schemas`. */
  readonly schemas: Record<string, JsonSchema>;
}

const COMPONENT_REF = '#/components/schemas/';

/**
 * zod emits `$defs` and `$ref: "#..."` relative to its own root. Embedded in an OpenAPI document, "#" would be the
 * document itself, so definitions move to components.schemas and every local reference is rewritten to point there.
 * A schema named with `.meta({ id })` keeps its name; where what a client sends differs from what the server
 * returns (defaults, transforms), the request side is named `<id>Input`.
 */
export function createSchemaComponents(initial: Record<string, JsonSchema> = {}): SchemaComponents {
  const schemas: Record<string, JsonSchema> = { ...initial };

  function unusedName(base: string): string {
    let name = base;
    for (let i = 2; name in schemas; i++) name = `${base}${i}`;
    return name;
  }

  return {
    schemas,
    convert(schema, io, hint) {
      const { root, defs } = toJsonSchema(schema, io);
      const rootName = refersToRoot([root, ...Object.values(defs)]) ? unusedName(componentName(hint)) : null;
      const names = defNames(defs, io === 'input' ? toJsonSchema(schema, 'output').defs : defs, rootName, componentName(hint));
      // A name already holding different content (two schemas with one id, say) gets a variant: the request side
      // of a schema first becomes <id>Input (requests carry bounds responses do not), then numbered ones.
      for (const [def, name] of names) {
        const content = rewriteRefs(defs[def], names, rootName);
        if (name in schemas && !isDeepStrictEqual(schemas[name], content)) {
          const input = `${name}Input`;
          const inputFits = io === 'input' && !name.endsWith('Input') && (!(input in schemas) || isDeepStrictEqual(schemas[input], content));
          names.set(def, inputFits ? input : unusedName(name));
        }
      }
      for (const [def, name] of names) schemas[name] = rewriteRefs(defs[def], names, rootName) as JsonSchema;

      const converted = rewriteRefs(root, names, rootName) as JsonSchema;
      if (!rootName) return converted;
      schemas[rootName] = converted;
      return { $ref: COMPONENT_REF + rootName };
    },
  };
}

function toJsonSchema(schema: z.ZodType, io: SchemaIo) {
  const root = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  const defs = (root.$defs ?? {}) as Record<string, JsonSchema>;
  delete root.$schema;
  delete root.$defs;
  return { root, defs };
}

/** Component names for zod's $defs: ids as given (plus Input when the request side differs), anonymous ones from the hint. */
function defNames(defs: Record<string, JsonSchema>, outputDefs: Record<string, JsonSchema>, rootName: string | null, hint: string) {
  const tentative = new Map(Object.keys(defs).map((def) => [def, componentName(def)]));
  const names = new Map<string, string>();
  for (const def of Object.keys(defs)) {
    if (def.startsWith('__schema')) {
      names.set(def, `${hint}${def.slice('__schema'.length)}`);
      continue;
    }
    const sameBothWays = isDeepStrictEqual(rewriteRefs(defs[def], tentative, rootName), rewriteRefs(outputDefs[def], tentative, rootName));
    names.set(def, componentName(def) + (sameBothWays ? '' : 'Input'));
  }
  return names;
}

/** Component names must match ^[a-zA-Z0-9._-]+$. */
function componentName(name: string): string {
  return name.replace(/[^a-zA-Z0-9._-]/g, '_') || 'Schema';
}

function refersToRoot(nodes: unknown[]): boolean {
  let found = false;
  const visit = (node: unknown): void => {
    if (found || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const ref = (node as JsonSchema).$ref;
    if (typeof ref === 'string' && (ref === '#' || (ref.startsWith('#/') && !ref.startsWith('#/$defs/')))) found = true;
    Object.values(node).forEach(visit);
  };
  nodes.forEach(visit);
  return found;
}

function rewriteRefs(node: unknown, names: Map<string, string>, rootName: string | null): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((item) => rewriteRefs(item, names, rootName));
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === '$ref' && typeof value === 'string' ? rewriteRef(value, names, rootName) : rewriteRefs(value, names, rootName);
  }
  return out;
}

function rewriteRef(ref: string, names: Map<string, string>, rootName: string | null): string {
  const def = /^#\/\$defs\/([^/]+)(.*)$/.exec(ref);
  if (def && names.has(def[1])) return COMPONENT_REF + names.get(def[1]) + def[2];
  if (rootName && (ref === '#' || ref.startsWith('#/'))) return COMPONENT_REF + rootName + ref.slice(1);
  return ref;
}
