import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/** The policy part's tables (names 0010-0019 belong to it). */
export const policyMigrations: Migration[] = [
  {
    name: '0010_access_signers_bundles',
    async up(db, d) {
      const { uuid, timestamp: ts, json, bigint } = d.types;
      // Per-tenant monotonic counters: bundle serials, SPC serials, the revocation set's and the anchors' serials.
      await db.schema
        .createTable('access_policy_serials')
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('access_policy_serials_pk', ['tenant_id', 'kind'])
        .execute();
      await db.schema
        .createTable('access_signers')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('private_key_sealed', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('next', 'active', 'retiring', 'retired')`))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('activated_at', ts)
        .addColumn('retire_after', ts)
        .execute();
      // Exactly one active and one next signer per tenant: a lost race to create them fails on these.
      for (const state of ['active', 'next']) {
        await db.schema.createIndex(`access_signers_one_${state}`).on('access_signers').column('tenant_id').unique().where(sql.ref('state'), '=', state).execute();
      }
      await db.schema
        .createTable('access_policy_bundles')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('serial', bigint, (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('canary', 'stable')`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('canary', 'stable', 'superseded', 'rolled_back')`))
        .addColumn('content', json, (c) => c.notNull())
        .addColumn('canary', json)
        .addColumn('notes', 'text')
        .addColumn('source_bundle_id', uuid)
        .addColumn('kid', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('published_by', 'text', (c) => c.notNull())
        .addColumn('published_at', ts, (c) => c.notNull())
        .addColumn('ended_at', ts)
        .addUniqueConstraint('access_policy_bundles_serial', ['tenant_id', 'serial'])
        .execute();
      // One live bundle per channel.
      await db.schema.createIndex('access_policy_bundles_live').on('access_policy_bundles').columns(['tenant_id', 'status']).unique().where(sql.ref('status'), 'in', ['canary', 'stable']).execute();
      await db.schema.createIndex('access_policy_bundles_digest').on('access_policy_bundles').columns(['tenant_id', 'digest']).execute();
    },
  },
  {
    name: '0011_access_spcs_posture',
    async up(db, d) {
      const { uuid, timestamp: ts, json, bigint } = d.types;
      await db.schema
        .createTable('access_spcs')
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('serial', bigint, (c) => c.notNull())
        .addColumn('device_id', uuid, (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('kid', 'text', (c) => c.notNull())
        .addColumn('policy_digest', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('not_before', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'superseded', 'revoked')`))
        .addColumn('superseded_at', ts)
        .addColumn('revoked_at', ts)
        .addColumn('revoke_reason', 'text')
        .addPrimaryKeyConstraint('access_spcs_pk', ['tenant_id', 'serial'])
        .execute();
      await db.schema.createIndex('access_spcs_device').on('access_spcs').columns(['device_id', 'status']).execute();
      // Kept until the revoked SPC would have expired anyway, then pruned.
      await db.schema
        .createTable('access_spc_revocations')
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('serial', bigint, (c) => c.notNull())
        .addColumn('device_id', uuid, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('revoked_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('access_spc_revocations_pk', ['tenant_id', 'serial'])
        .execute();
      await db.schema.createIndex('access_spc_revocations_expiry').on('access_spc_revocations').column('expires_at').execute();
      await db.schema
        .createTable('access_device_posture')
        .addColumn('device_id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('verdict', 'text', (c) => c.notNull().check(sql`verdict in ('compliant', 'noncompliant', 'unknown')`))
        .addColumn('failed_checks', json, (c) => c.notNull())
        .addColumn('facts', json, (c) => c.notNull())
        .addColumn('collected_at', ts)
        .addColumn('checked_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];
