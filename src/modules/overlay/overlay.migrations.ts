import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { DialectHelpers } from '../../core/db/dialect.js';
import type { Migration } from '../../core/db/migrator.js';

type Table = CreateTableBuilder<string, never>;

/**
 * Lighthouses and relays: the predicate of the partial index overlay_nodes_routing, which the routing lookup
 * (node.store.ts listRouting) must repeat word for word. Booleans are 0/1 on SQLite, so it reads the same there.
 */
export const ROUTING_NODE = sql<boolean>`(is_lighthouse or is_relay)`;

const cascade = (table: string) => (c: any) => c.references(`${table}.id`).onDelete('cascade');

function withId(db: Kysely<any>, d: DialectHelpers, name: string): Table {
  return db.schema.createTable(name).addColumn('id', d.types.uuid, (c) => c.primaryKey()) as unknown as Table;
}

export const overlayMigrations: Migration[] = [
  {
    name: '0001_overlay',
    async up(db, d) {
      const { uuid, timestamp: ts, boolean: bool, json } = d.types;
      const no = d.name === 'postgres' ? sql`false` : sql`0`;

      await withId(db, d, 'overlay_networks')
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('subnet_cidr', 'text', (c) => c.notNull())
        .addColumn('cert_version', 'integer', (c) => c.notNull().defaultTo(1).check(sql`cert_version in (1, 2)`))
        .addColumn('auto_approve_nodes', bool, (c) => c.notNull().defaultTo(no))
        .addColumn('default_cert_days', 'integer', (c) => c.notNull())
        .addColumn('config_revision', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await withId(db, d, 'overlay_cas')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('certificate_pem', 'text', (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('not_before', ts, (c) => c.notNull())
        .addColumn('not_after', ts, (c) => c.notNull())
        .addColumn('active', bool, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('overlay_cas_network').on('overlay_cas').column('network_id').execute();

      await db.schema
        .createTable('overlay_network_permissions')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('user_id', uuid, (c) => cascade('users')(c.notNull()))
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'member')`))
        .addColumn('can_manage_nodes', bool, (c) => c.notNull())
        .addColumn('can_invite_users', bool, (c) => c.notNull())
        .addColumn('can_manage_firewall', bool, (c) => c.notNull())
        .addColumn('invited_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('overlay_network_permissions_pk', ['network_id', 'user_id'])
        .execute();
      await db.schema.createIndex('overlay_network_permissions_user').on('overlay_network_permissions').column('user_id').execute();

      await db.schema
        .createTable('overlay_group_firewalls')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('group_name', 'text', (c) => c.notNull())
        .addColumn('inbound_rules', json, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('overlay_group_firewalls_pk', ['network_id', 'group_name'])
        .execute();

      await withId(db, d, 'overlay_nodes')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('ip_address', 'text')
        .addColumn('ip_number', d.types.bigint)
        .addColumn('groups', json, (c) => c.notNull())
        .addColumn('is_lighthouse', bool, (c) => c.notNull())
        .addColumn('is_relay', bool, (c) => c.notNull())
        .addColumn('public_endpoint', 'text')
        .addColumn('lighthouse_options', json)
        .addColumn('logging_options', json)
        .addColumn('punchy_options', json)
        .addColumn('tun_device', 'text')
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'active', 'offline', 'revoked')`))
        .addColumn('last_seen_at', ts)
        .addColumn('private_key', 'text')
        .addColumn('public_key_pem', 'text')
        .addColumn('device_token_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('overlay_nodes_hostname').on('overlay_nodes').columns(['network_id', 'hostname']).unique().execute();
      await db.schema.createIndex('overlay_nodes_lighthouse').on('overlay_nodes').columns(['network_id', 'is_lighthouse']).execute();
      // The IPAM's last line of defence: NULLs (released addresses) are distinct on both dialects.
      await db.schema.createIndex('overlay_nodes_ip').on('overlay_nodes').columns(['network_id', 'ip_number']).unique().execute();

      await withId(db, d, 'overlay_certificates')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('node_id', uuid, (c) => c.references('overlay_nodes.id').onDelete('set null'))
        .addColumn('node_name', 'text', (c) => c.notNull())
        .addColumn('ca_id', uuid, (c) => cascade('overlay_cas')(c.notNull()))
        .addColumn('ip_address', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('certificate_pem', 'text', (c) => c.notNull())
        .addColumn('issued_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('revoked_at', ts)
        .execute();
      await db.schema.createIndex('overlay_certificates_network').on('overlay_certificates').columns(['network_id', 'revoked_at']).execute();
      await db.schema.createIndex('overlay_certificates_node').on('overlay_certificates').column('node_id').execute();

      await withId(db, d, 'overlay_enrollment_codes')
        .addColumn('node_id', uuid, (c) => cascade('overlay_nodes')(c.notNull()))
        .addColumn('code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('used_at', ts)
        .addColumn('created_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await withId(db, d, 'overlay_node_requests')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('requested_by', uuid, (c) => cascade('users')(c.notNull()))
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('groups', json, (c) => c.notNull())
        .addColumn('is_lighthouse', bool, (c) => c.notNull())
        .addColumn('is_relay', bool, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'approved', 'rejected')`))
        .addColumn('reason', 'text')
        .addColumn('created_node_id', uuid, (c) => c.references('overlay_nodes.id').onDelete('set null'))
        .addColumn('decided_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('decided_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('overlay_node_requests_network').on('overlay_node_requests').columns(['network_id', 'status']).execute();

      await withId(db, d, 'overlay_access_grants')
        .addColumn('admin_user_id', uuid, (c) => cascade('users')(c.notNull()))
        .addColumn('resource_type', 'text', (c) => c.notNull().check(sql`resource_type in ('network', 'node')`))
        .addColumn('resource_id', uuid, (c) => c.notNull())
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('granted_by', uuid, (c) => cascade('users')(c.notNull()))
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('revoked_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('overlay_access_grants_admin').on('overlay_access_grants').columns(['admin_user_id', 'network_id']).execute();

      await withId(db, d, 'overlay_invitations')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'member')`))
        .addColumn('can_manage_nodes', bool, (c) => c.notNull())
        .addColumn('can_invite_users', bool, (c) => c.notNull())
        .addColumn('can_manage_firewall', bool, (c) => c.notNull())
        .addColumn('invited_by', uuid, (c) => cascade('users')(c.notNull()))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('token_sealed', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'accepted', 'revoked', 'expired')`))
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('accepted_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('accepted_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('overlay_invitations_network').on('overlay_invitations').columns(['network_id', 'status']).execute();
    },
  },
  {
    name: '0002_overlay_first_polled',
    async up(db, d) {
      await db.schema.alterTable('overlay_nodes').addColumn('first_polled_at', d.types.timestamp).execute();
    },
  },
  {
    name: '0003_overlay_dns',
    async up(db, d) {
      const { timestamp: ts, boolean: bool, json, uuid } = d.types;
      await db.schema
        .createTable('overlay_dns_configs')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.primaryKey()))
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('enabled', bool, (c) => c.notNull())
        .addColumn('upstream_servers', json, (c) => c.notNull())
        .addColumn('extra_dns_resolvers', json, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await withId(db, d, 'overlay_dns_aliases')
        .addColumn('network_id', uuid, (c) => cascade('overlay_networks')(c.notNull()))
        .addColumn('node_id', uuid, (c) => cascade('overlay_nodes')(c.notNull()))
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('overlay_dns_aliases_name').on('overlay_dns_aliases').columns(['network_id', 'alias']).unique().execute();
    },
  },
  {
    name: '0004_overlay_invitation_mail',
    async up(db, d) {
      await db.schema.alterTable('overlay_invitations').addColumn('mail_id', d.types.uuid).execute();
    },
  },
  {
    // A config render reads the network's lighthouses and relays: without this, ORDER BY ip_number led both
    // planners to walk overlay_nodes_ip over every node of the network.
    name: '0005_overlay_routing_index',
    async up(db) {
      await db.schema.createIndex('overlay_nodes_routing').on('overlay_nodes').columns(['network_id', 'ip_number']).where(ROUTING_NODE).execute();
    },
  },
];
