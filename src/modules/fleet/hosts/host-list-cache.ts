import { randomBytes } from 'node:crypto';
import type { EventBus } from '../../../core/events/event-bus.js';
import { FLEET_HOSTS_CHANGED, type HostsChanged } from '../common/host-changes.js';
import type { HostListItem } from './host-list.js';

export interface HostListCacheDeps {
  events: Pick<EventBus, 'subscribe' | 'status'>;
  /** Every live host's list item, in list order (hostname, then id). */
  loadAll(): Promise<HostListItem[]>;
  /** The list items of these hosts; a host deleted (or unknown) meanwhile is left out. */
  loadSome(ids: string[]): Promise<HostListItem[]>;
  /** Every live host's id in list order, as the database sorts them (its collation decides). */
  orderedIds(): Promise<string[]>;
  /**
   * A token that moves when another process wrote to the database, where announcements do not cross processes
   * (SQLite's data_version: `rampart worker` or `rampart fleet scan --wait` beside `rampart serve`); then every
   * host is read again. Absent where the bus carries every process's announcements (PostgreSQL).
   */
  othersWrote?: () => Promise<unknown>;
}

/** The whole host list as sent: the JSON body in parts (written one after the other), its length and entity tag. */
export interface RenderedHostList {
  parts: readonly Buffer[];
  length: number;
  etag: string;
  total: number;
}

/** Hosts per block: a change re-joins the fragments of its block only, never the whole body. */
const BLOCK = 256;

const TAIL = (total: number) => Buffer.from(`],"total":${total},"limit":null,"offset":0}`);
const HEAD = Buffer.from('{"hosts":[');
const COMMA = Buffer.from(',');

/**
 * The whole host list (GET /api/v1/hosts without parameters, what OpenWatch's UI asks for) kept rendered: one JSON
 * fragment per host, re-rendered only for the hosts a write announced (FLEET_HOSTS_CHANGED, sent by every write to
 * a host row, its liveness, its compliance roll-up or its scan runs), and the body kept in blocks of BLOCK fragments
 * (a change joins its block again, never the whole body). On PostgreSQL the announcements of the other nodes arrive
 * over the core bus; while the bus is not listening the cache is not used, and after the bus reconnected
 * (announcements may have been missed) every fragment is rendered again. On SQLite, where the bus stays in one
 * process, a write by another process (SQLite's data_version moved) has every fragment rendered again.
 *
 * A request never sees a write older than the announcement it has received: a host announced before a request's
 * refresh began is read by that refresh. Built on the first request that asks for the whole list.
 */
export function createHostListCache(deps: HostListCacheDeps) {
  /** Per host, its rendered item; null until first built (announcements are ignored until then). */
  let fragments: Map<string, Buffer> | null = null;
  /** Whether announcements are noted: from the start of the first build, so none made during it is lost. */
  let tracking = false;
  /** Host ids in list order, each host's place in it, and per block of BLOCK places its joined fragments. */
  let order: string[] = [];
  let place = new Map<string, number>();
  let blocks: (Buffer | null)[] = [];
  let dirty = new Set<string>();
  let dirtyAll = false;
  let reorder = false;
  let rendered: RenderedHostList | null = null;
  let refreshing: Promise<void> | null = null;
  let reconnectsSeen = deps.events.status().reconnects;
  let othersSeen: unknown;
  /** Tags of this process's renderings: another process (or a restart) never reuses one. */
  const instance = randomBytes(6).toString('base64url');
  let revision = 0;

  deps.events.subscribe(FLEET_HOSTS_CHANGED, (event) => {
    if (!tracking) return;
    const ids = (event.payload as HostsChanged).host_ids;
    if (ids === null) dirtyAll = true;
    else for (const id of ids) dirty.add(id);
    rendered = null;
  });

  const fragment = (item: HostListItem) => Buffer.from(JSON.stringify(item));

  async function rebuild(): Promise<void> {
    tracking = true;
    dirtyAll = false;
    dirty = new Set();
    reorder = false;
    try {
      const items = await deps.loadAll();
      const next = new Map<string, Buffer>();
      for (const item of items) next.set(item.id, fragment(item));
      fragments = next;
      setOrder(items.map((i) => i.id));
      rendered = null;
    } catch (err) {
      dirtyAll = true;
      throw err;
    }
  }

  async function refresh(): Promise<void> {
    if (!fragments || dirtyAll) return rebuild();
    const ids = [...dirty];
    dirty = new Set();
    try {
      const items = await deps.loadSome(ids);
      const found = new Set<string>();
      for (const item of items) {
        found.add(item.id);
        if (!fragments.has(item.id)) reorder = true; // a new host takes its place in the order
        fragments.set(item.id, fragment(item));
        const at = place.get(item.id);
        if (at !== undefined) blocks[Math.floor(at / BLOCK)] = null;
      }
      for (const id of ids) {
        if (found.has(id) || !fragments.has(id)) continue;
        fragments.delete(id); // deleted
        reorder = true;
      }
      if (reorder) {
        const ordered = await deps.orderedIds();
        reorder = false;
        // A host created after the ordered read is announced and placed by the next refresh.
        setOrder(ordered.filter((id) => fragments!.has(id)));
        for (const id of fragments.keys()) if (!place.has(id)) fragments.delete(id);
      }
      rendered = null;
    } catch (err) {
      for (const id of ids) dirty.add(id);
      throw err;
    }
  }

  function setOrder(ids: string[]): void {
    order = ids;
    place = new Map(ids.map((id, i) => [id, i]));
    blocks = new Array(Math.ceil(ids.length / BLOCK)).fill(null);
  }

  /** The fragments of block b joined by commas. */
  function joinBlock(b: number): Buffer {
    const pieces: Buffer[] = [];
    for (let i = b * BLOCK; i < Math.min(order.length, (b + 1) * BLOCK); i++) {
      if (i > b * BLOCK) pieces.push(COMMA);
      pieces.push(fragments!.get(order[i]!)!);
    }
    return Buffer.concat(pieces);
  }

  function assemble(): RenderedHostList {
    const parts: Buffer[] = [HEAD];
    for (let b = 0; b < blocks.length; b++) {
      if (b > 0) parts.push(COMMA);
      parts.push((blocks[b] ??= joinBlock(b)));
    }
    parts.push(TAIL(order.length));
    const length = parts.reduce((n, p) => n + p.length, 0);
    return { parts, length, etag: `W/"hosts-${instance}-${++revision}"`, total: order.length };
  }

  /** Whether announcements reach this node now; a reconnect since the last look means some may have been missed. */
  function announcementsTrusted(): boolean {
    const status = deps.events.status();
    if (!status.listening) return false;
    if (status.reconnects !== reconnectsSeen) {
      reconnectsSeen = status.reconnects;
      dirtyAll = true;
      rendered = null;
    }
    return true;
  }

  function drop(): void {
    tracking = false;
    dirtyAll = true;
    fragments = null;
    rendered = null;
  }

  const pending = () => !fragments || dirtyAll || dirty.size > 0;

  return {
    /** The whole list as it stands after every announcement received so far; null when the cache cannot be trusted. */
    async get(): Promise<RenderedHostList | null> {
      if (!announcementsTrusted()) {
        drop();
        return null;
      }
      // One refresh at a time; a request arriving during one waits for it, then takes what was announced meanwhile.
      if (refreshing) await refreshing;
      if (deps.othersWrote) {
        // Read before the refresh: a write after this read moves the token again and the next request sees it.
        const token = await deps.othersWrote();
        if (token !== othersSeen) {
          othersSeen = token;
          dirtyAll = true;
          rendered = null;
        }
      }
      // Twice at most: a refresh another request started before this one noted its changes is followed by one more.
      for (let round = 0; round < 2 && pending(); round++) {
        refreshing ??= refresh().finally(() => (refreshing = null));
        await refreshing;
      }
      if (!fragments) return null;
      return (rendered ??= assemble());
    },

    /** Drops everything (tests that swap what the list is made of). */
    clear: () => drop(),

    /** Hosts rendered now, for metrics and tests. */
    size: () => fragments?.size ?? 0,
  };
}

export type HostListCache = ReturnType<typeof createHostListCache>;
