import type { Selectable } from 'kysely';
import type { Core } from '../../../core/index.js';
import { errors, isRampartError, RampartError } from '../../../core/errors.js';
import type { EdgeHooks } from '../edge.types.js';
import { configSealedColumns } from './config.sealed.js';
import type { EdgeConfigVersionRow } from './config.tables.js';
import {
  applyInterfaceMap, hashOf, resourceCount, sectionDiff, takeSnapshot, validateSnapshot, type InterfaceMap, type Snapshot,
} from './snapshot.js';

/** AiFw's ConfigVersion as history lists it. */
export interface ConfigVersionView {
  version: number;
  hash: string;
  applied: boolean;
  applied_at: string | null;
  rolled_back: boolean;
  created_by: string;
  created_at: string;
  comment: string | null;
  resource_count: number;
}

export const RETENTION_MIN = 5;
export const RETENTION_MAX = 10_000;
export const RETENTION_DEFAULT = 200;

const VERSION_CONTEXT = `${configSealedColumns.versions.table}.${configSealedColumns.versions.column}`;

export interface SaveOptions {
  createdBy: string;
  comment?: string | null;
  applied?: boolean;
}

/**
 * Configuration versions: snapshots of every registered section, saved when their hash changes (after every edge
 * write, on config/save, on import, restore and commit-confirm revert), kept up to the retention limit (the applied
 * version always), restored all-or-nothing.
 */
export function createVersions(core: Core, hooks: EdgeHooks) {
  const { db } = core;
  const d = db.dialect;
  const listeners: Array<(version: number, snapshot: Snapshot, createdAt: string) => void> = [];

  const view = (row: Omit<Selectable<EdgeConfigVersionRow>, 'config_sealed'>): ConfigVersionView => ({
    version: Number(row.version),
    hash: row.hash,
    applied: d.fromBool(row.applied),
    applied_at: row.applied_at,
    rolled_back: d.fromBool(row.rolled_back),
    created_by: row.created_by,
    created_at: row.created_at,
    comment: row.comment,
    resource_count: Number(row.resource_count),
  });

  const sectionNames = () => hooks.sections.map((s) => s.name);

  async function state() {
    return db.kysely.selectFrom('edge_config_state').selectAll().where('id', '=', 'config').executeTakeFirstOrThrow();
  }

  async function setCurrentHash(hash: string) {
    await db.kysely.updateTable('edge_config_state').set({ current_hash: hash, updated_at: core.now().toISOString() }).where('id', '=', 'config').execute();
  }

  async function retentionLimit(): Promise<number> {
    const limit = Number((await state()).max_versions);
    return limit >= RETENTION_MIN && limit <= RETENTION_MAX ? limit : RETENTION_DEFAULT;
  }

  /** Deletes versions beyond the newest `keep`, never the applied one. */
  async function prune(keep: number): Promise<number> {
    const newest = db.kysely.selectFrom('edge_config_versions').select('version').orderBy('version', 'desc').limit(keep);
    const res = await db.kysely
      .deleteFrom('edge_config_versions')
      .where('version', 'not in', newest)
      .where('applied', '=', d.toBool(false) as never)
      .executeTakeFirst();
    return Number(res.numDeletedRows ?? 0);
  }

  async function markApplied(version: number) {
    const now = core.now().toISOString();
    await db.kysely.updateTable('edge_config_versions').set({ applied: d.toBool(false) as never }).where('applied', '=', d.toBool(true) as never).execute();
    await db.kysely.updateTable('edge_config_versions').set({ applied: d.toBool(true) as never, applied_at: now }).where('version', '=', version).execute();
  }

  async function save(snapshot: Snapshot, opts: SaveOptions): Promise<number> {
    const createdAt = core.now().toISOString();
    const hash = hashOf(snapshot);
    const json = JSON.stringify(snapshot);
    const row = await db.transaction(async () => {
      const inserted = await db.kysely
        .insertInto('edge_config_versions')
        .values({
          config_sealed: core.secrets.seal(json, VERSION_CONTEXT),
          hash,
          applied: d.toBool(false) as never,
          applied_at: null,
          rolled_back: d.toBool(false) as never,
          created_by: opts.createdBy.slice(0, 256),
          created_at: createdAt,
          comment: opts.comment?.slice(0, 1024) ?? null,
          resource_count: resourceCount(snapshot),
        })
        .returning('version')
        .executeTakeFirstOrThrow();
      const version = Number(inserted.version);
      if (opts.applied) await markApplied(version);
      await setCurrentHash(hash);
      await prune(await retentionLimit());
      return version;
    });
    db.afterCommit(() => {
      for (const listener of listeners) listener(row, snapshot, createdAt);
    });
    return row;
  }

  async function get(version: number): Promise<Snapshot> {
    const row = await db.kysely.selectFrom('edge_config_versions').select('config_sealed').where('version', '=', version).executeTakeFirst();
    if (!row) throw errors.notFound('no such config version');
    return JSON.parse(core.secrets.openString(row.config_sealed, VERSION_CONTEXT)) as Snapshot;
  }

  async function hashOfVersion(version: number): Promise<string> {
    const row = await db.kysely.selectFrom('edge_config_versions').select('hash').where('version', '=', version).executeTakeFirst();
    if (!row) throw errors.notFound('no such config version');
    return row.hash;
  }

  /** Imports every section the snapshot holds, in the sections' order, in one transaction: all or nothing. */
  async function importSections(snapshot: Snapshot): Promise<string[]> {
    const imported: string[] = [];
    await db.transaction(async () => {
      for (const section of hooks.sections) {
        if (!Object.hasOwn(snapshot, section.name)) continue;
        try {
          await section.import(snapshot[section.name]);
        } catch (err) {
          if (!isRampartError(err) || err.status >= 500) throw err;
          // The section's refusal, named: nothing of any section is kept (the transaction rolls back).
          throw new RampartError({ code: err.code, status: err.status, message: `section ${section.name}: ${err.message}`, details: err.details, cause: err });
        }
        imported.push(section.name);
      }
    });
    return imported;
  }

  /** Runs the registered apply steps in order (VLANs before the ruleset that names them). */
  async function applyAll(): Promise<string[]> {
    const steps = [...hooks.applySteps].sort((a, b) => a.order - b.order);
    for (const step of steps) await step.apply();
    return steps.map((s) => s.name);
  }

  /**
   * Replaces the sections with the snapshot's and applies them, as AiFw's restore does: the imports and the apply
   * run in one transaction, so a refused section or a failed apply changes no row; the host is then brought back
   * to the rows (the steps apply atomically, so a failed step left the running ruleset).
   */
  // Saving a version and replacing the configuration take turns: a save that read the configuration while a restore
  // was replacing it would otherwise be stored after the restore's own version, as the newest, with stale content.
  let turn: Promise<unknown> = Promise.resolve();
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = turn.then(work, work);
    turn = run.catch(() => undefined);
    return run;
  }

  const replaceAndApply = (snapshot: Snapshot) => exclusive(() => replaceAndApplyNow(snapshot));
  async function replaceAndApplyNow(snapshot: Snapshot): Promise<{ sections: string[]; steps: string[] }> {
    let applying = false;
    try {
      return await db.transaction(async () => {
        const sections = await importSections(snapshot);
        applying = true;
        const steps = await applyAll();
        await setCurrentHash(hashOf(await takeSnapshot(hooks.sections)));
        return { sections, steps };
      });
    } catch (err) {
      if (applying) await applyAll().catch((again) => core.logger.error({ err: again }, 'edge config: re-applying the kept configuration failed'));
      throw err;
    }
  }

  return {
    onSaved(listener: (version: number, snapshot: Snapshot, createdAt: string) => void) {
      listeners.push(listener);
    },
    snapshot: () => takeSnapshot(hooks.sections),
    save,
    get,
    validate: (value: unknown) => validateSnapshot(value, sectionNames()),
    sectionNames,
    markApplied,
    importSections,
    applyAll,
    replaceAndApply,
    setCurrentHash,

    /** Names who made a saved version and why (the auto-saver's credit to the latest change the version holds). */
    async credit(version: number, opts: SaveOptions): Promise<void> {
      await db.kysely
        .updateTable('edge_config_versions')
        .set({ created_by: opts.createdBy.slice(0, 256), comment: opts.comment?.slice(0, 1024) ?? null })
        .where('version', '=', version)
        .execute();
    },

    /** Saves the current configuration when its hash differs from the last saved or restored one. */
    async saveIfChanged(opts: SaveOptions): Promise<number | null> {
      return exclusive(() => db.transaction(async () => {
        const snapshot = await takeSnapshot(hooks.sections);
        if (hashOf(snapshot) === (await state()).current_hash) return null;
        return save(snapshot, opts);
      }));
    },

    async history(limit: number): Promise<ConfigVersionView[]> {
      const rows = await db.kysely
        .selectFrom('edge_config_versions')
        .select(['version', 'hash', 'applied', 'applied_at', 'rolled_back', 'created_by', 'created_at', 'comment', 'resource_count'])
        .orderBy('version', 'desc')
        .limit(limit)
        .execute();
      return rows.map(view);
    },

    async latest(): Promise<ConfigVersionView | null> {
      const row = await db.kysely
        .selectFrom('edge_config_versions')
        .select(['version', 'hash', 'applied', 'applied_at', 'rolled_back', 'created_by', 'created_at', 'comment', 'resource_count'])
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? view(row) : null;
    },

    async info(version: number): Promise<ConfigVersionView | null> {
      const row = await db.kysely
        .selectFrom('edge_config_versions')
        .select(['version', 'hash', 'applied', 'applied_at', 'rolled_back', 'created_by', 'created_at', 'comment', 'resource_count'])
        .where('version', '=', version)
        .executeTakeFirst();
      return row ? view(row) : null;
    },

    async count(): Promise<number> {
      const row = await db.kysely.selectFrom('edge_config_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async diff(v1: number, v2: number) {
      const [a, b] = [await get(v1), await get(v2)];
      const [h1, h2] = [await hashOfVersion(v1), await hashOfVersion(v2)];
      const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== 'schema_version').sort();
      const sections = Object.fromEntries(names.map((name) => [name, sectionDiff(a[name], b[name])]));
      return {
        v1, v2, v1_hash: h1, v2_hash: h2,
        rules_diff: sectionDiff(a.rules, b.rules),
        nat_diff: sectionDiff(a.nat, b.nat),
        sections,
        total_v1: resourceCount(a),
        total_v2: resourceCount(b),
        identical: h1 === h2,
        v1_json: a,
        v2_json: b,
      };
    },

    retentionLimit,
    async setRetention(limit: number) {
      if (!Number.isInteger(limit) || limit < RETENTION_MIN || limit > RETENTION_MAX) {
        throw errors.validation(`retention must be between ${RETENTION_MIN} and ${RETENTION_MAX}`);
      }
      await db.kysely.updateTable('edge_config_state').set({ max_versions: limit, updated_at: core.now().toISOString() }).where('id', '=', 'config').execute();
      await prune(limit);
    },

    /** Restores a version: every section replaced and applied, the version marked applied, the newer ones rolled back. */
    async restore(version: number, map: InterfaceMap = {}) {
      const stored = await get(version);
      const { snapshot } = validateSnapshot(stored, sectionNames());
      const result = await replaceAndApply(applyInterfaceMap(snapshot, map));
      await db.kysely.updateTable('edge_config_versions').set({ rolled_back: d.toBool(true) as never }).where('applied', '=', d.toBool(true) as never).where('version', '>', version).execute();
      await markApplied(version);
      return result;
    },
  };
}

export type Versions = ReturnType<typeof createVersions>;
