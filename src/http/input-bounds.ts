import { z } from 'zod';

/**
 * Every string and array a client sends has a bound: what a route declares, else these. They are generous (the
 * body limit is 2 MiB); routes that take big texts (certificates, configurations) or long lists declare their own.
 */
export const DEFAULT_STRING_MAX = 65_536;
export const DEFAULT_ARRAY_MAX = 1_000;

type AnySchema = z.ZodType & { _zod: { def: any } };

/** 'reject': objects without a catch-all of their own refuse unknown fields (400), instead of dropping them. */
export type UnknownFields = 'reject' | 'ignore';

const boundedOf: Record<UnknownFields, WeakMap<z.ZodType, z.ZodType>> = { reject: new WeakMap(), ignore: new WeakMap() };

/**
 * The schema with a maximum added to every string and array that has none, wrappers and all (optional, default,
 * pipe, union, record ...). Applied to each route's params, query and body when it is declared, so parsing enforces
 * the bounds and the OpenAPI documents show them. Shared schemas are rebuilt once.
 */
export function bounded<T extends z.ZodType>(schema: T, unknownFields: UnknownFields = 'ignore'): T {
  const known = boundedOf[unknownFields].get(schema);
  if (known) return known as T;
  const out = rebuild(schema as unknown as AnySchema, unknownFields);
  if (out !== (schema as z.ZodType)) {
    const meta = z.globalRegistry.get(schema);
    if (meta) z.globalRegistry.add(out, meta);
  }
  boundedOf[unknownFields].set(schema, out);
  return out as T;
}

function rebuild(schema: AnySchema, unknownFields: UnknownFields): z.ZodType {
  const def = schema._zod.def;
  const bounded_ = <S extends z.ZodType>(inner: S) => bounded(inner, unknownFields);
  const with_ = (changes: Record<string, unknown>) => (schema as any).clone({ ...def, ...changes }) as z.ZodType;
  switch (def.type) {
    case 'string':
      return hasMax(def) ? schema : schema.check(z.maxLength(DEFAULT_STRING_MAX));
    case 'array': {
      const rebuilt = with_({ element: bounded_(def.element) });
      return hasMax(def) ? rebuilt : rebuilt.check(z.maxLength(DEFAULT_ARRAY_MAX));
    }
    case 'object': {
      const shape = Object.fromEntries(Object.entries(def.shape as Record<string, z.ZodType>).map(([k, v]) => [k, bounded_(v)]));
      // An object that chose a catch-all (loose, strict, a record-like rest) keeps it.
      return with_({ shape, ...(unknownFields === 'reject' && def.catchall === undefined ? { catchall: z.never() } : {}) });
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return with_({ innerType: bounded_(def.innerType) });
    case 'pipe':
      return with_({ in: bounded_(def.in), out: bounded_(def.out) });
    case 'union':
      return with_({ options: def.options.map((o: z.ZodType) => bounded_(o)) });
    case 'intersection':
      return with_({ left: bounded_(def.left), right: bounded_(def.right) });
    case 'record':
      return with_({ valueType: bounded_(def.valueType) });
    case 'tuple':
      return with_({ items: def.items.map((o: z.ZodType) => bounded_(o)), ...(def.rest ? { rest: bounded_(def.rest) } : {}) });
    default:
      return schema; // numbers, enums, literals, booleans, lazy (recursive) schemas ...
  }
}

function hasMax(def: { checks?: Array<{ _zod: { def: { check: string } } }> }): boolean {
  return (def.checks ?? []).some((c) => c._zod.def.check === 'max_length' || c._zod.def.check === 'length_equals');
}
