import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DialectHelpers } from '../../../core/db/dialect.js';
import { assembleCompiled, effectiveOf } from '../compiler/compile.js';
import type { CompiledFrame, CompiledGroup, CompiledParts, CompiledPolicy } from '../compiler/compiled.types.js';
import type { Action, EffectivePolicy } from './policy.types.js';

/**
 * Compiled generations as content-addressed parts: a generation row holds a small manifest (the hash of its frame
 * and of each group's part), and each distinct part is stored once, however many generations use it. A one-rule
 * change thus adds its manifest and the one group part that changed, not a full compiled copy, and rewrites no
 * other row. A part goes when no kept manifest names it any more: each write reads the kept manifests (a few kB
 * each, parsed once per process) and deletes what only the generations it drops named.
 */

/** Generations kept: the runtime only ever needs the newest; a few more help when diagnosing a bad apply. */
export const GENERATIONS_KEPT = 20;
/** Statement parameters per IN list: well under SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

export type Manifest =
  | { default_policy: Action; frame: string; groups: string[] }
  /** A generation whose effective policy no longer compiles (stored before an upgrade): kept whole, as one part. */
  | { whole: string };

export interface StoredGeneration {
  generation: number;
  compiled: CompiledPolicy;
  effective: EffectivePolicy;
  created_at: string;
}

interface Part {
  hash: string;
  body: string;
}

const partOf = (value: unknown): Part => {
  const body = JSON.stringify(value);
  return { hash: createHash('sha256').update(body).digest('base64url').slice(0, 22), body };
};

/** Serialised parts of the objects the compile cache reuses, so an unchanged group is not serialised again. */
const serialised = new WeakMap<object, Part>();
function partOfObject(value: object): Part {
  let part = serialised.get(value);
  if (!part) serialised.set(value, (part = partOf(value)));
  return part;
}

/**
 * Parsed parts by hash (immutable, so shared by every reader, whatever the database): the node that wrote a
 * generation applies it without reading its parts back. Bounded by the parts' serialised size.
 */
class PartCache {
  private entries = new Map<string, { value: unknown; bytes: number }>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}

  get(hash: string): unknown {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    this.entries.delete(hash);
    this.entries.set(hash, entry); // most recently used last
    return entry.value;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  set(hash: string, value: unknown, bytes: number): void {
    if (this.entries.has(hash)) return;
    this.entries.set(hash, { value, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
}

const partCache = new PartCache(64 * 1024 * 1024);

/** Forgets the parsed parts this process holds, so the next reads come from the database (tests: what is stored restores alone). */
export function dropCachedParts(): void {
  partCache.clear();
}

/** Parsed manifests by their text (immutable): every write reads the kept ones, a thousand hashes each. */
const manifests = new Map<string, Manifest>();
function manifestOf(text: string): Manifest {
  let manifest = manifests.get(text);
  if (!manifest) {
    if (manifests.size >= 4 * GENERATIONS_KEPT) manifests.clear();
    manifests.set(text, (manifest = JSON.parse(text) as Manifest));
  }
  return manifest;
}

const hashesOf = (manifest: Manifest): string[] => ('whole' in manifest ? [manifest.whole] : [manifest.frame, ...manifest.groups]);

const chunks = <T>(items: T[]): T[][] => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/** Reads and writes generations; `db` is the transaction's connection (or the migration's). */
export function createGenerationStore(db: () => Kysely<any>, dialect: DialectHelpers) {
  async function readParts(hashes: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    const missing: string[] = [];
    for (const hash of new Set(hashes)) {
      const cached = partCache.get(hash);
      if (cached === undefined) missing.push(hash);
      else out.set(hash, cached);
    }
    for (const chunk of chunks(missing)) {
      const rows = await db().selectFrom('egress_generation_parts').select(['hash', 'body']).where('hash', 'in', chunk).execute();
      for (const row of rows) {
        const value = JSON.parse(row.body);
        partCache.set(row.hash, value, row.body.length);
        out.set(row.hash, value);
      }
    }
    const lost = missing.find((h) => !out.has(h));
    if (lost) throw new Error(`egress generation part ${lost} is missing`);
    return out;
  }

  /**
   * Stores the parts no manifest names yet (`named`: every part some stored manifest names, which therefore exists)
   * and caches them all for the reader on this node. Parts already stored are not touched.
   */
  async function writeParts(parts: Part[], values: Map<string, unknown>, generation: number, named: Set<string>): Promise<void> {
    const unique = [...new Map(parts.map((p) => [p.hash, p])).values()];
    const fresh = unique.filter((p) => !named.has(p.hash));
    for (const chunk of chunks(fresh)) {
      await db().insertInto('egress_generation_parts')
        // last_generation: the generation that first stored the part (kept for the schema; collection reads manifests).
        .values(chunk.map((p) => ({ hash: p.hash, body: p.body, bytes: Buffer.byteLength(p.body), last_generation: generation })))
        .onConflict((oc) => oc.column('hash').doNothing())
        .execute();
    }
    for (const p of unique) partCache.set(p.hash, values.get(p.hash), p.body.length);
  }

  /** The stored manifests, split at `oldest`: the parts those kept name, and those only the dropped ones name. */
  async function namedParts(oldest: number): Promise<{ kept: Set<string>; dropped: Set<string> }> {
    const rows = await db().selectFrom('egress_generations').select(['generation', 'manifest']).execute();
    const kept = new Set<string>();
    const dropped = new Set<string>();
    for (const row of rows) if (Number(row.generation) > oldest) for (const h of hashesOf(manifestOf(row.manifest))) kept.add(h);
    for (const row of rows) if (Number(row.generation) <= oldest) for (const h of hashesOf(manifestOf(row.manifest))) if (!kept.has(h)) dropped.add(h);
    return { kept, dropped };
  }

  /** Stores a generation and drops those older than the newest GENERATIONS_KEPT, with the parts only they named. */
  async function store(generation: number, manifest: Manifest, parts: Part[], values: Map<string, unknown>, createdAt: string): Promise<void> {
    const { kept, dropped } = await namedParts(generation - GENERATIONS_KEPT);
    const named = new Set([...kept, ...dropped]);
    for (const h of hashesOf(manifest)) dropped.delete(h);
    await writeParts(parts, values, generation, named);
    await insertManifest(generation, manifest, createdAt);
    await db().deleteFrom('egress_generations').where('generation', '<=', generation - GENERATIONS_KEPT).execute();
    for (const chunk of chunks([...dropped])) await db().deleteFrom('egress_generation_parts').where('hash', 'in', chunk).execute();
  }

  async function assemble(generation: number, manifest: Manifest, createdAt: string): Promise<StoredGeneration> {
    if ('whole' in manifest) {
      const whole = (await readParts([manifest.whole])).get(manifest.whole) as { compiled: CompiledPolicy; effective: EffectivePolicy };
      return { generation, ...whole, created_at: createdAt };
    }
    const read = await readParts([manifest.frame, ...manifest.groups]);
    const parts: CompiledParts = {
      generation,
      default_policy: manifest.default_policy,
      frame: read.get(manifest.frame) as CompiledFrame,
      groups: manifest.groups.map((h) => read.get(h) as CompiledGroup),
    };
    return { generation, compiled: assembleCompiled(parts), effective: effectiveOf(parts), created_at: createdAt };
  }

  async function insertManifest(generation: number, manifest: Manifest, createdAt: string): Promise<void> {
    await db().insertInto('egress_generations').values({ generation, manifest: JSON.stringify(manifest), created_at: createdAt }).execute();
  }

  return {
    async latestNumber(): Promise<number> {
      const row = await db().selectFrom('egress_generations').select((eb) => eb.fn.max('generation').as('max')).executeTakeFirst();
      return Number(row?.max ?? 0);
    },

    /** Adds a generation, then drops those older than the newest GENERATIONS_KEPT and the parts only they named. */
    async add(parts: CompiledParts, createdAt: string): Promise<void> {
      const frame = partOf(parts.frame);
      const groups = parts.groups.map(partOfObject);
      const values = new Map<string, unknown>([[frame.hash, parts.frame], ...parts.groups.map((g, i): [string, unknown] => [groups[i].hash, g])]);
      const manifest: Manifest = { default_policy: parts.default_policy, frame: frame.hash, groups: groups.map((g) => g.hash) };
      await store(parts.generation, manifest, [frame, ...groups], values, createdAt);
    },

    /** Stores a generation as one part (its compiled copy and effective policy as they are). */
    async addWhole(generation: number, whole: { compiled: unknown; effective: unknown }, createdAt: string): Promise<void> {
      const part = partOf(whole);
      await store(generation, { whole: part.hash }, [part], new Map([[part.hash, whole]]), createdAt);
    },

    /** A kept generation, whole again; null when there is no such generation (never stored, or dropped). */
    async get(generation?: number): Promise<StoredGeneration | null> {
      let query = db().selectFrom('egress_generations').select(['generation', 'manifest', 'created_at']);
      query = generation === undefined ? query.orderBy('generation', 'desc').limit(1) : query.where('generation', '=', generation);
      const row = await query.executeTakeFirst();
      return row ? assemble(Number(row.generation), manifestOf(row.manifest), String(row.created_at)) : null;
    },

    /** The generation numbers kept, oldest first. */
    async numbers(): Promise<number[]> {
      return (await db().selectFrom('egress_generations').select('generation').orderBy('generation').execute()).map((r) => Number(r.generation));
    },

    /** What generations take in the database: manifests and parts, serialised bytes. */
    async size(): Promise<{ generations: number; parts: number; bytes: number }> {
      const g = await db().selectFrom('egress_generations').select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum(eb.fn('length', ['manifest'])).as('bytes')]).executeTakeFirst();
      const p = await db().selectFrom('egress_generation_parts').select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('bytes').as('bytes')]).executeTakeFirst();
      return { generations: Number(g?.n ?? 0), parts: Number(p?.n ?? 0), bytes: Number(g?.bytes ?? 0) + Number(p?.bytes ?? 0) };
    },
  };
}

export type GenerationStore = ReturnType<typeof createGenerationStore>;
