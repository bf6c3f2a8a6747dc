/**
 * The lighthouse/relay lookup every config render makes is served by overlay_nodes_routing on both dialects:
 * before it, ORDER BY ip_number led the planners to walk every node of the network.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { routingNodes } from '../../src/modules/overlay/nodes/node.store.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

describe('overlay routing index', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart();
  });
  after(() => r.cleanup());

  test('the plan of the lighthouse/relay lookup uses overlay_nodes_routing', async () => {
    const { db } = r.core;
    const query = routingNodes(db, '00000000-0000-4000-8000-000000000000').compile();
    const values = [...query.parameters];
    const inlined = query.sql.replace(/\$\d+|\?/g, () => `'${values.shift()}'`);
    if (db.dialect.name === 'postgres') {
      await sql.raw('set enable_seqscan = off').execute(db.kysely); // the table is empty: ask whether the index can serve it
      const plan = (await sql.raw(`explain ${inlined}`).execute(db.kysely)).rows.map((row: any) => row['QUERY PLAN']).join('\n');
      assert.match(plan, /Index Scan using overlay_nodes_routing/, plan);
    } else {
      const plan = (await sql.raw(`explain query plan ${inlined}`).execute(db.kysely)).rows.map((row: any) => row.detail).join('\n');
      assert.match(plan, /USING INDEX overlay_nodes_routing/, plan);
    }
  });
});
