import { randomUUID } from 'node:crypto';
import { hostChangeAnnouncer } from '../../src/modules/fleet/common/host-changes.js';
import type { TestRampart } from './app.js';

/** A host row as the hosts part would store it, for tests of parts that only point at hosts. */
export async function insertHost(r: TestRampart, hostname = `host-${randomUUID().slice(0, 8)}`): Promise<string> {
  const id = randomUUID();
  const now = r.core.now().toISOString();
  const { db } = r.core;
  await db.kysely
    .insertInto('fleet_hosts')
    .values({
      id, hostname, ip_address: '10.213.4.10', port: 22, display_name: null, description: null, environment: 'production',
      tags: db.dialect.toJson([]), group_id: null, username: null, maintenance_mode: db.dialect.toBool(false), check_priority: 5,
      os_family: null, os_version: null, architecture: null, platform_identifier: null, os_discovered_at: null,
      target_framework: null, created_by: null, created_at: now, updated_at: now, deleted_at: null,
    })
    .execute();
  await hostChangeAnnouncer(r.core.events)([id]);
  return id;
}

/** A clock the test moves forward: real time plus an offset, so tokens and sessions stay valid. */
export function movableClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}
