import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { configSealedColumns } from './config.sealed.js';
import type { EdgeConfigCommitConfirmRow } from './config.tables.js';
import type { Snapshot } from './snapshot.js';
import type { Versions } from './versions.js';

export const CONFIRM_TIMEOUT_DEFAULT = 300;
export const CONFIRM_TIMEOUT_MIN = 10;
export const CONFIRM_TIMEOUT_MAX = 3600;
/** A node that claimed a revert and went quiet this long (it died mid-revert) leaves it to another. */
const CLAIM_LEASE_MS = 120_000;
/** Published when a window opens or closes, so every node re-reads it and times the revert. */
export const CONFIRM_TOPIC = 'edge.config.commit_confirm';

const SNAPSHOT_CONTEXT = `${configSealedColumns.commitConfirm.table}.${configSealedColumns.commitConfirm.column}`;
const ID = 'window';

export interface CommitConfirmStatus {
  active: boolean;
  expires_at: string;
  seconds_remaining: number;
  description: string;
}

/**
 * Juniper-style commit-confirm, persisted: arming stores the rollback snapshot (every section) and the deadline in
 * the database, so the window survives a restart (on start an expired one reverts at once, an open one is timed
 * again) and any node can revert it. Exactly one node reverts: it claims the window with a conditional update
 * (armed -> reverting), which only one writer wins on PostgreSQL as on SQLite.
 */
export function createCommitConfirm(core: Core, versions: Versions) {
  const { db } = core;
  let timer: NodeJS.Timeout | undefined;
  let reviewing: Promise<void> = Promise.resolve();
  let stopped = false;

  const row = () => db.kysely.selectFrom('edge_config_commit_confirm').selectAll().where('id', '=', ID).executeTakeFirstOrThrow();

  function schedule(current: Pick<EdgeConfigCommitConfirmRow, 'status' | 'expires_at'>) {
    clearTimeout(timer);
    timer = undefined;
    if (stopped || current.status !== 'armed' || !current.expires_at) return;
    const delay = Math.max(0, Date.parse(current.expires_at) - core.now().getTime());
    // setTimeout holds at most ~24.8 days; windows are at most an hour.
    timer = setTimeout(() => void review(), Math.min(delay, 2 ** 31 - 1) + 50);
    timer.unref();
  }

  /** Reverts the window when it has expired and this node wins the claim; otherwise times it again. */
  function review(): Promise<void> {
    reviewing = reviewing.then(reviewOnce, reviewOnce);
    return reviewing;
  }

  async function reviewOnce(): Promise<void> {
    try {
      const current = await row();
      const now = core.now();
      const expired = current.status === 'armed' && current.expires_at && Date.parse(current.expires_at) <= now.getTime();
      const stale = current.status === 'reverting' && current.claimed_at && Date.parse(current.claimed_at) + CLAIM_LEASE_MS <= now.getTime();
      if (!expired && !stale) return schedule(current);
      const claimed = await db.kysely
        .updateTable('edge_config_commit_confirm')
        .set({ status: 'reverting', claimed_by: core.events.nodeId, claimed_at: now.toISOString(), updated_at: now.toISOString() })
        .where('id', '=', ID)
        .where('status', '=', current.status)
        .where('updated_at', '=', current.updated_at)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return; // another node won
      await revert(current);
    } catch (err) {
      core.logger.error({ err }, 'edge commit-confirm: review failed');
    }
  }

  async function revert(window: EdgeConfigCommitConfirmRow) {
    const actor = { type: 'system' as const, id: 'system', name: 'commit-confirm' };
    const finish = (status: string, outcome: string) =>
      db.kysely.updateTable('edge_config_commit_confirm').set({ status, outcome, snapshot_sealed: null, updated_at: core.now().toISOString() }).where('id', '=', ID).execute();
    try {
      const snapshot = JSON.parse(core.secrets.openString(window.snapshot_sealed ?? '', SNAPSHOT_CONTEXT)) as Snapshot;
      const { sections, steps } = await versions.replaceAndApply(snapshot);
      const version = await versions.save(await versions.snapshot(), {
        createdBy: 'commit-confirm', comment: `commit-confirm expired: reverted (${window.description})`, applied: true,
      });
      await finish('reverted', `reverted to the snapshot taken at ${window.armed_at}; saved as version ${version}`);
      await core.audit.record({
        actor, action: 'edge.config.commit_confirm.revert', result: 'success', resource: { type: 'config_version', id: String(version) },
        details: { description: window.description, armed_at: window.armed_at, expires_at: window.expires_at, sections, steps },
      });
      core.logger.warn({ description: window.description }, 'edge commit-confirm expired unconfirmed: configuration reverted');
    } catch (err) {
      core.logger.error({ err }, 'edge commit-confirm: REVERT FAILED; the unconfirmed configuration stays');
      await finish('failed', `revert failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 1024)).catch(() => undefined);
      await core.audit.record({ actor, action: 'edge.config.commit_confirm.revert', result: 'failure', details: { description: window.description, error: String(err) } }).catch(() => undefined);
    }
    await core.events.publish(CONFIRM_TOPIC, { status: 'closed' }).catch(() => undefined);
  }

  const unsubscribe = core.events.subscribe(CONFIRM_TOPIC, () => void row().then(schedule, () => undefined));

  return {
    /** Opens a window: the rollback snapshot is taken now. 409 while one is open. */
    async arm(input: { timeoutSecs: number; description: string; armedBy: string; snapshot?: Snapshot }): Promise<{ expiresAt: string }> {
      const now = core.now();
      const expiresAt = new Date(now.getTime() + input.timeoutSecs * 1000).toISOString();
      const snapshot = input.snapshot ?? (await versions.snapshot());
      const res = await db.kysely
        .updateTable('edge_config_commit_confirm')
        .set({
          status: 'armed', description: input.description, timeout_secs: input.timeoutSecs, armed_at: now.toISOString(), expires_at: expiresAt,
          armed_by: input.armedBy, snapshot_sealed: core.secrets.seal(JSON.stringify(snapshot), SNAPSHOT_CONTEXT),
          claimed_by: null, claimed_at: null, outcome: null, updated_at: now.toISOString(),
        })
        .where('id', '=', ID)
        .where('status', 'not in', ['armed', 'reverting'])
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) {
        throw errors.conflict('a commit-confirm window is already active: confirm it or wait for it to expire');
      }
      db.afterCommit(() => {
        schedule({ status: 'armed', expires_at: expiresAt });
        void core.events.publish(CONFIRM_TOPIC, { status: 'armed' }).catch(() => undefined);
      });
      return { expiresAt };
    },

    /** Accepts the configuration: the window closes and nothing reverts. False when none was open. */
    async confirm(): Promise<boolean> {
      const now = core.now().toISOString();
      const res = await db.kysely
        .updateTable('edge_config_commit_confirm')
        .set({ status: 'confirmed', snapshot_sealed: null, outcome: `confirmed at ${now}`, updated_at: now })
        .where('id', '=', ID)
        .where('status', '=', 'armed')
        .executeTakeFirst();
      const confirmed = Number(res.numUpdatedRows) === 1;
      if (confirmed) {
        db.afterCommit(() => {
          clearTimeout(timer);
          void core.events.publish(CONFIRM_TOPIC, { status: 'closed' }).catch(() => undefined);
        });
      }
      return confirmed;
    },

    async status(): Promise<CommitConfirmStatus & { status: string; outcome: string | null }> {
      const current = await row();
      const active = current.status === 'armed' || current.status === 'reverting';
      const remaining = active && current.expires_at ? Math.max(0, Math.floor((Date.parse(current.expires_at) - core.now().getTime()) / 1000)) : 0;
      return {
        active,
        expires_at: active ? current.expires_at ?? '' : '',
        seconds_remaining: remaining,
        description: active ? current.description : '',
        status: current.status,
        outcome: current.outcome,
      };
    },

    async isActive(): Promise<boolean> {
      const current = await row();
      return current.status === 'armed' || current.status === 'reverting';
    },

    /** On start: an expired window reverts now, an open one is timed again. */
    async resume(): Promise<void> {
      stopped = false;
      await review();
    },

    review,

    stop() {
      stopped = true;
      clearTimeout(timer);
    },

    /** Stops following other nodes' windows (the core is closing). */
    close() {
      this.stop();
      unsubscribe();
    },
  };
}

export type CommitConfirm = ReturnType<typeof createCommitConfirm>;
