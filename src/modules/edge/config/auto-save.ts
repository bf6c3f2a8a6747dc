import type { Core } from '../../../core/index.js';
import type { BusEvent } from '../../../core/events/event-bus.js';
import { EDGE_CHANGED, type EdgeChange } from '../edge.types.js';
import type { SaveOptions } from './versions.js';

interface AutoSaveVersions {
  saveIfChanged(opts: SaveOptions): Promise<number | null>;
  credit(version: number, opts: SaveOptions): Promise<void>;
}

/** The save in progress, and the version it wrote once it has. */
interface RunningSave {
  version: number | null;
}

const creditOf = (change: EdgeChange): SaveOptions => ({ createdBy: change.actor || 'auto', comment: change.comment || null });

/**
 * A version after every change of the edge's configuration whose hash differs, written by the node that made the
 * change (the others receive the event too on PostgreSQL), one save at a time, credited to the latest change it
 * holds.
 *
 * A save reads the configuration as it is when it runs, so it can hold a change whose event arrives while it runs
 * (the change committed before the read; its event follows the commit). The save queued for that change then finds
 * nothing new; the version that holds the change is credited to it instead, so the history names the last writer
 * of what it stores.
 */
export function startAutoSave(core: Core, versions: AutoSaveVersions) {
  let saving: Promise<unknown> = Promise.resolve();
  let running: RunningSave | null = null;
  let latest: EdgeChange | null = null;
  /** The latest change whose event arrived while a save ran, and that save. */
  let overlapped: { change: EdgeChange; save: RunningSave } | null = null;

  async function saveLatest() {
    if (!latest) return; // an earlier queued save took this change
    const change = latest;
    const during = overlapped;
    latest = null;
    overlapped = null;
    const save: RunningSave = { version: null };
    running = save;
    try {
      save.version = await versions.saveIfChanged(creditOf(change));
      if (save.version === null && during?.save.version != null) await versions.credit(during.save.version, creditOf(during.change));
    } finally {
      running = null;
    }
  }

  const onChange = (event: BusEvent<EdgeChange>) => {
    if (event.origin !== core.events.nodeId || event.payload?.section === 'config') return;
    latest = event.payload;
    if (running) overlapped = { change: event.payload, save: running };
    saving = saving
      .then(saveLatest)
      .catch((err) => core.logger.error({ err }, 'edge config: saving a version failed'));
  };
  const unsubscribe = core.events.subscribe(EDGE_CHANGED, onChange as (event: BusEvent) => void);
  return {
    stop: unsubscribe,
    /** Waits for the versions being saved (tests; shutdown). */
    settled: () => saving,
  };
}
