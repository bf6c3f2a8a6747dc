import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { generateKey, keyId, parseConfigKeys, readKeyFile, staticKeyring, writeKeyFile } from './keyring.js';
import { createSecretBox, type SecretBox } from './secret-box.js';
import type { ResolvedSealedColumn, SealedColumnRegistry } from './sealed-columns.js';

interface RotateCommon {
  db: Database;
  registry: SealedColumnRegistry;
  logger?: Logger;
  /** Rows read per query; each batch's updates commit in one transaction. */
  batchSize?: number;
}

export type RotateSecretKeyOptions = RotateCommon &
  (
    | {
        /** The key file in use (keyFilePath(config)); the rotation rewrites it. */
        keyFilePath: string;
      }
    | {
        /** The value of `secrets.key` (base64, newest first). The rotation cannot rewrite config: see new_key. */
        configKeys: string;
        /**
         * Called with the new key (base64) before any row is re-encrypted, so the caller can show or store it
         * first: if the run is interrupted, rerun with secrets.key = "<new key>,<old keys>".
         */
        onNewKey?: (key: string) => void;
      }
  );

export interface RotationSummary {
  new_key_id: string;
  retired_key_ids: string[];
  /** Rows re-encrypted, per "table.column". */
  rows_reencrypted: Record<string, number>;
  /**
   * Only when the keys came from config (`secrets.key`): the new key in base64. Every value is now sealed under
   * it and the retired keys open nothing any more, so set secrets.key to this value alone. Never present for a
   * key file, which the rotation rewrites itself.
   */
  new_key?: string;
}

// A full pass that still finds values under a retired key means a writer keeps sealing with it; give up then.
const MAX_PASSES = 5;

/**
 * Moves every registered sealed column to a new key. Crash-safe: the key file lists the new key first and the old
 * ones after until every value is re-encrypted, and a rerun that finds more than one key finishes that rotation
 * instead of starting another. Likewise, configured keys "new,old" finish a rotation under "new".
 */
export async function rotateSecretKey(opts: RotateSecretKeyOptions): Promise<RotationSummary> {
  const plan = 'keyFilePath' in opts ? planFromFile(opts.keyFilePath) : planFromConfig(opts.configKeys, opts.onNewKey);
  const box = createSecretBox(staticKeyring([plan.target, ...plan.retired]));
  if (plan.resumed) opts.logger?.info({ key_id: keyId(plan.target) }, 'secrets: finishing an interrupted rotation');
  const rows_reencrypted: Record<string, number> = {};
  for (const column of opts.registry.list()) {
    const rows = await reencryptColumn(opts.db, box, column, opts.batchSize ?? 100);
    rows_reencrypted[`${column.table}.${column.column}`] = rows;
    opts.logger?.info({ column: column.context, rows }, 'secrets: column re-encrypted');
  }
  // Only now, with nothing left under them, may the old keys go.
  if ('keyFilePath' in opts) writeKeyFile(opts.keyFilePath, [plan.target]);
  return {
    new_key_id: keyId(plan.target),
    retired_key_ids: plan.retired.map(keyId),
    rows_reencrypted,
    ...('configKeys' in opts ? { new_key: plan.target.toString('base64') } : {}),
  };
}

interface Plan {
  target: Buffer;
  retired: Buffer[];
  resumed: boolean;
}

function planFromFile(path: string): Plan {
  const keys = readKeyFile(path);
  if (keys.length > 1) return { target: keys[0], retired: keys.slice(1), resumed: true };
  const target = freshKey(keys);
  writeKeyFile(path, [target, ...keys]);
  return { target, retired: keys, resumed: false };
}

function planFromConfig(value: string, onNewKey?: (key: string) => void): Plan {
  const keys = parseConfigKeys(value);
  if (keys.length > 1) return { target: keys[0], retired: keys.slice(1), resumed: true };
  const target = freshKey(keys);
  onNewKey?.(target.toString('base64'));
  return { target, retired: keys, resumed: false };
}

/** A random key whose id differs from the existing ones, so ciphertexts name exactly one key. */
function freshKey(existing: Buffer[]): Buffer {
  const taken = new Set(existing.map(keyId));
  for (;;) {
    const key = generateKey();
    if (!taken.has(keyId(key))) return key;
  }
}

async function reencryptColumn(db: Database, box: SecretBox, c: ResolvedSealedColumn, batchSize: number): Promise<number> {
  let total = 0;
  for (let pass = 1; ; pass++) {
    const { stale, updated } = await reencryptPass(db, box, c, batchSize);
    total += updated;
    if (stale === 0) return total;
    if (pass === MAX_PASSES) {
      throw new Error(`${c.table}.${c.column}: values under a retired key keep appearing; stop the servers still sealing with it and rerun`);
    }
  }
}

/** One walk through the table by id; counts the values found under a retired key and those rewritten. */
async function reencryptPass(db: Database, box: SecretBox, c: ResolvedSealedColumn, batchSize: number) {
  let stale = 0;
  let updated = 0;
  let after: unknown;
  for (;;) {
    const k = db.kysely as Kysely<any>;
    let query = k
      .selectFrom(c.table)
      .select([`${c.idColumn} as id`, `${c.column} as value`])
      .where(c.column, 'is not', null)
      .orderBy(c.idColumn)
      .limit(batchSize);
    if (after !== undefined) query = query.where(c.idColumn, '>', after);
    const rows: { id: unknown; value: string }[] = await query.execute();
    if (rows.length === 0) return { stale, updated };
    after = rows[rows.length - 1].id;
    const todo = rows.filter((r) => box.needsRotation(r.value));
    stale += todo.length;
    if (todo.length > 0) {
      await db.transaction(async () => {
        for (const row of todo) updated += await reencryptRow(db, box, c, row);
      });
    }
    if (rows.length < batchSize) return { stale, updated };
  }
}

async function reencryptRow(db: Database, box: SecretBox, c: ResolvedSealedColumn, row: { id: unknown; value: string }) {
  let sealed: string;
  try {
    sealed = box.seal(box.open(row.value, c.context), c.context);
  } catch (err) {
    throw new Error(`${c.table}.${c.column} row ${String(row.id)}: ${(err as Error).message}`, { cause: err });
  }
  // Compare-and-set: a value changed since it was read is left alone and seen again by the next pass.
  const result = await (db.kysely as Kysely<any>)
    .updateTable(c.table)
    .set({ [c.column]: sealed })
    .where(c.idColumn, '=', row.id)
    .where(c.column, '=', row.value)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
