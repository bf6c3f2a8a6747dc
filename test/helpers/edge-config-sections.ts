import type { Core } from '../../src/core/index.js';
import { errors } from '../../src/core/errors.js';
import type { RampartModule } from '../../src/modules/module.js';
import { edgeServices } from '../../src/modules/edge/edge.services.js';
import { EDGE_CHANGED, type EdgeChange } from '../../src/modules/edge/edge.types.js';

declare module '../../src/core/db/tables.js' {
  interface Tables {
    edgetest_sections: { name: string; data: string };
  }
}

/**
 * Test doubles of the edge parts' configuration sections: each section's rows live in a table (so a section
 * import joins the unit of work and rolls back like the real ones), an entry with `bad: true` is refused as a real
 * section refuses invalid data, and the apply step copies every section into `host` (what the box would run).
 */
export function edgeTestModule(): RampartModule {
  return {
    name: 'edgetest',
    migrations: [
      {
        name: '0001_edgetest_sections',
        async up(db) {
          await db.schema.createTable('edgetest_sections').addColumn('name', 'text', (c) => c.primaryKey()).addColumn('data', 'text', (c) => c.notNull()).execute();
        },
      },
    ],
  };
}

export interface TestSections {
  /** What the last successful apply put on the "host", by section. */
  host: Record<string, unknown>;
  applies: number;
  /** Makes the next applies fail (a data plane refusing the ruleset). */
  failApply: boolean;
  read(name: string): Promise<unknown[]>;
  /** Writes a section as a part's route would: rows, then edge.changed with the actor and "METHOD /path". */
  write(name: string, rows: unknown[], change?: Partial<EdgeChange>): Promise<void>;
}

export function installTestSections(core: Core, names: string[]): TestSections {
  const { hooks } = edgeServices(core);
  const db = core.db;
  const read = async (name: string) => {
    const row = await db.kysely.selectFrom('edgetest_sections').select('data').where('name', '=', name).executeTakeFirst();
    return row ? (JSON.parse(row.data) as unknown[]) : [];
  };
  const store = async (name: string, rows: unknown[]) => {
    const data = JSON.stringify(rows);
    const res = await db.kysely.updateTable('edgetest_sections').set({ data }).where('name', '=', name).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) await db.kysely.insertInto('edgetest_sections').values({ name, data }).execute();
  };
  const state: TestSections = {
    host: {},
    applies: 0,
    failApply: false,
    read,
    async write(name, rows, change = {}) {
      await db.transaction(async () => {
        await store(name, rows);
        await core.events.publish(EDGE_CHANGED, { section: name, comment: `PUT /api/v1/${name}`, pending: [], ...change });
      });
    },
  };
  hooks.sections.splice(0, hooks.sections.length, ...names.map((name) => ({
    name,
    export: () => read(name),
    async import(data: unknown) {
      if (!Array.isArray(data)) throw errors.validation(`${name} must be an array`);
      for (const entry of data) {
        if (!entry || typeof entry !== 'object') throw errors.validation(`${name} entries must be objects`);
        if ((entry as { bad?: boolean }).bad) throw errors.validation(`${name} entry ${String((entry as { id?: unknown }).id)} is invalid`);
      }
      await store(name, data);
    },
  })));
  hooks.applySteps.splice(0, hooks.applySteps.length, {
    name: 'test-host',
    order: 50,
    async apply() {
      if (state.failApply) throw new Error('the data plane refused the ruleset');
      const host: Record<string, unknown> = {};
      for (const name of names) host[name] = await read(name);
      state.host = host;
      state.applies++;
    },
  });
  return state;
}
