/**
 * The rendered host list over a fleet larger than one block (hosts/host-list-cache.ts), with an in-memory fleet:
 * after each announced change the body is exactly the JSON of the list as it stands; an unannounced change is not
 * read; a bus that stopped listening turns the renderings off, and a reconnect renders everything again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FLEET_HOSTS_CHANGED } from '../../src/modules/fleet/common/host-changes.js';
import { createHostListCache } from '../../src/modules/fleet/hosts/host-list-cache.js';
import type { HostListItem } from '../../src/modules/fleet/hosts/host-list.js';

type Handler = (event: { payload: unknown }) => void;

function world(count: number) {
  const hosts = new Map<string, HostListItem>();
  const add = (i: number) => {
    const id = `h-${String(i).padStart(5, '0')}`;
    hosts.set(id, { id, hostname: `host-${String(i).padStart(5, '0')}`, display_name: null } as unknown as HostListItem);
    return id;
  };
  for (let i = 0; i < count; i++) add(i * 10);
  const handlers: Handler[] = [];
  const bus = { listening: true, reconnects: 0 };
  const sorted = () => [...hosts.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : 1));
  const cache = createHostListCache({
    events: {
      subscribe: (topic: string, h: Handler) => {
        assert.equal(topic, FLEET_HOSTS_CHANGED);
        handlers.push(h);
        return () => undefined;
      },
      status: () => ({ mode: 'postgres' as const, ...bus }),
    } as never,
    loadAll: async () => sorted().map((h) => ({ ...h })),
    loadSome: async (ids) => ids.filter((id) => hosts.has(id)).map((id) => ({ ...hosts.get(id)! })),
    orderedIds: async () => sorted().map((h) => h.id),
  });
  const announce = (ids: string[] | null) => handlers.forEach((h) => h({ payload: { host_ids: ids } }));
  const body = async () => {
    const got = await cache.get();
    if (!got) return null;
    const text = Buffer.concat(got.parts as Buffer[]).toString();
    assert.equal(Buffer.byteLength(text), got.length);
    return { json: JSON.parse(text), etag: got.etag };
  };
  const expected = () => ({ hosts: sorted(), total: hosts.size, limit: null, offset: 0 });
  return { hosts, add, announce, body, expected, bus };
}

describe('rendered host list', () => {
  test('over several blocks, every announced change is in the next body, and only then', async () => {
    const w = world(700); // three blocks of 256
    assert.deepEqual((await w.body())!.json, w.expected());

    const inThird = 'h-05500';
    w.hosts.get(inThird)!.display_name = 'edited';
    const unannounced = (await w.body())!;
    assert.equal(unannounced.json.hosts.find((h: any) => h.id === inThird).display_name, null, 'nothing is read without an announcement');
    w.announce([inThird]);
    const edited = (await w.body())!;
    assert.deepEqual(edited.json, w.expected());
    assert.notEqual(edited.etag, unannounced.etag);
    assert.equal((await w.body())!.etag, edited.etag, 'the same body while nothing changes');

    w.hosts.delete('h-00010');
    const created = w.add(25); // sorts between host-00020 and host-00030, in the first block
    w.announce(['h-00010', created]);
    assert.deepEqual((await w.body())!.json, w.expected());

    for (const id of ['h-00000', 'h-02600', 'h-06990']) (w.hosts.get(id) as any).display_name = `changed ${id}`;
    w.announce(null); // too many to name: every host
    assert.deepEqual((await w.body())!.json, w.expected());
  });

  test('not listening: no renderings; after a reconnect every host is read again', async () => {
    const w = world(300);
    await w.body();
    w.bus.listening = false;
    assert.equal(await w.body(), null, 'the route reads the database instead');
    w.hosts.get('h-00100')!.display_name = 'missed';
    w.bus.listening = true;
    assert.deepEqual((await w.body())!.json, w.expected(), 'rebuilt after being turned off');

    w.hosts.get('h-00200')!.display_name = 'missed while reconnecting';
    w.bus.reconnects++;
    assert.deepEqual((await w.body())!.json, w.expected());
  });
});
