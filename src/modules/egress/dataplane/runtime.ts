import type { Kysely } from 'kysely';
import { nodeIdOf } from '../node-id.js';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { CompiledPolicy, DnsPolicy } from '../compiler/compiled.types.js';
import type { FindingsStore } from '../findings/findings.types.js';
import type { ApplyOutcome, Dataplane, DataplaneRuntime, StreamedScript } from './dataplane.types.js';
import { DenyCounters } from './deny-counters.js';
import { createGenerationStore } from '../policy/generation.store.js';

export const POLICY_COMPILED_TOPIC = 'egress.policy.compiled';

export interface RuntimeDeps {
  /** null while dataplane.enabled is off: start() then refuses. */
  dataplane: Dataplane | null;
  findings: FindingsStore;
  /** Reverse DNS of a destination from the DNS cache, for findings' hostname. */
  hostnameOf?: (ip: string) => string | null;
}

export interface RuntimeStatus {
  enabled: boolean;
  node_id: string;
  generation: number;
  applied_at: string | null;
  error: string | null;
}

export interface EgressDataplaneRuntime extends DataplaneRuntime {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): RuntimeStatus;
}

interface Waiter {
  generation: number;
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}


/**
 * Keeps this node's data plane on the newest compiled generation: applies it at start and whenever the policy service
 * announces one (coalescing bursts: only the newest is applied), reports the applied generation to waiting policy
 * writes, and turns the deny sets' counters into findings every poll interval. A failed apply keeps the running
 * table (nft transactions are atomic) and fails the writes that waited for it.
 */
export function createDataplaneRuntime(core: Core, deps: RuntimeDeps): EgressDataplaneRuntime {
  const nodeId = nodeIdOf(core);
  const counters = new DenyCounters();
  const generations = createGenerationStore(() => core.db.kysely as unknown as Kysely<any>, core.db.dialect);
  let enabled = false;
  let applied = 0;
  let appliedAt: string | null = null;
  let dnsPolicy: DnsPolicy | null = null;
  let failed: { generation: number; error: string } | null = null;
  let waiters: Waiter[] = [];
  let unsubscribe: (() => void) | null = null;
  let pollTimer: NodeJS.Timeout | null = null;
  let applying: Promise<void> | null = null;
  let again = false;
  let polling = false;
  let warnedNoGenerations = false;
  /** The script a policy write is streaming into nft for its generation (scriptStream), until applied or dropped. */
  let prepared: { generation: number; script: StreamedScript; timer: NodeJS.Timeout } | null = null;

  /** The prepared script when it is for `generation`; one for an older generation is dropped, a newer one kept. */
  function claimPrepared(generation: number): StreamedScript | undefined {
    if (!prepared || prepared.generation > generation) return undefined;
    if (prepared.generation < generation) return void dropPrepared();
    const { script, timer } = prepared;
    prepared = null;
    clearTimeout(timer);
    return script;
  }

  function dropPrepared(): void {
    if (!prepared) return;
    clearTimeout(prepared.timer);
    prepared.script.abort();
    prepared = null;
  }

  const settle = (upTo: number, err?: Error) => {
    waiters = waiters.filter((w) => {
      if (w.generation > upTo) return true;
      clearTimeout(w.timer);
      if (err) w.reject(err);
      else w.resolve();
      return false;
    });
  };

  /** The newest generation when it is newer than `than`; reads its parts only then (every poll tick asks). */
  async function newestGeneration(than: number): Promise<{ generation: number; compiled: CompiledPolicy } | null> {
    try {
      const newest = await generations.latestNumber();
      if (newest <= than) return null;
      const stored = await generations.get(newest);
      return stored && { generation: stored.generation, compiled: stored.compiled };
    } catch (err) {
      if (!warnedNoGenerations) core.logger.warn({ err }, 'egress data plane: cannot read compiled generations');
      warnedNoGenerations = true;
      return null;
    }
  }

  async function writeStatus(error: string | null): Promise<void> {
    const row = { node_id: nodeId, generation: applied, applied_at: appliedAt, error };
    await core.db.kysely
      .insertInto('egress_dataplane_status')
      .values(row)
      .onConflict((oc) => oc.column('node_id').doUpdateSet({ generation: applied, applied_at: appliedAt, error }))
      .execute()
      .catch((err) => core.logger.warn({ err }, 'egress data plane: cannot record its status'));
  }

  async function applyNewest(): Promise<void> {
    const newest = await newestGeneration(applied);
    if (!newest || newest.generation === failed?.generation) return;
    let outcome: ApplyOutcome;
    try {
      // A replaced table's deny sets go with it: count what they hold first. A table changed in place keeps them.
      // A generation this process compiled may have its replacement script parsed already (scriptStream).
      outcome = await deps.dataplane!.apply(newest.compiled, { beforeReplace: pollDenied, streamed: claimPrepared(newest.generation) });
    } catch (err) {
      const message = (err as Error).message;
      failed = { generation: newest.generation, error: message };
      core.logger.error({ err, generation: newest.generation }, 'egress data plane: apply failed; the previous ruleset stays');
      // The status row first: a waiter told the outcome may read it at once.
      await writeStatus(message);
      settle(newest.generation, errors.unavailable(`the data plane could not apply generation ${newest.generation}: ${message}`));
      return;
    }
    applied = newest.generation;
    appliedAt = core.now().toISOString();
    dnsPolicy = newest.compiled.dns;
    failed = null;
    // A replaced table starts with empty deny sets; one changed in place keeps them and their counters.
    if (outcome.path === 'full') counters.reset();
    core.logger.info({ generation: applied, ...outcome }, 'egress data plane: generation applied');
    // The status row first: a waiter told the generation is live may read it at once.
    await writeStatus(null);
    settle(applied);
  }

  /** Applies the newest generation; calls during an apply make it look again afterwards instead of queueing. */
  function catchUp(): Promise<void> {
    if (applying) {
      again = true;
      return applying;
    }
    applying = (async () => {
      do {
        again = false;
        await applyNewest();
      } while (again && enabled);
    })().finally(() => (applying = null));
    return applying;
  }

  async function pollDenied(): Promise<void> {
    if (polling || !deps.dataplane) return;
    polling = true;
    try {
      const tuples = await deps.dataplane.readDenied();
      const at = Math.floor(core.now().getTime() / 1000);
      for (const f of counters.findings(tuples, at, nodeId, deps.hostnameOf ?? (() => null))) deps.findings.record(f);
    } catch (err) {
      core.logger.warn({ err }, 'egress data plane: cannot read deny counters');
    } finally {
      polling = false;
    }
  }

  return {
    get enabled() {
      return enabled;
    },
    get appliedGeneration() {
      return applied;
    },
    get dnsPolicy() {
      return dnsPolicy;
    },

    scriptStream(generation) {
      if (!enabled || !deps.dataplane?.streamReplace) return null;
      dropPrepared();
      const script = deps.dataplane.streamReplace();
      // A write that never commits (rolled back, failed) leaves it unclaimed: it goes, and nft with it.
      const timer = setTimeout(() => prepared?.script === script && dropPrepared(), core.config.egress.apply_timeout_ms);
      timer.unref();
      prepared = { generation, script, timer };
      return script;
    },

    waitFor(generation, timeoutMs) {
      if (applied >= generation) return Promise.resolve();
      if (failed && failed.generation >= generation) {
        return Promise.reject(errors.unavailable(`the data plane could not apply generation ${failed.generation}: ${failed.error}`));
      }
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.timer !== timer);
          reject(errors.unavailable(`the data plane did not apply generation ${generation} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push({ generation, resolve, reject, timer });
        // The announcement may have come before this call; look now rather than wait for the next poll.
        if (enabled) void catchUp();
      });
    },

    async start() {
      if (!deps.dataplane) throw new Error('the egress data plane is disabled (dataplane.enabled)');
      if (enabled) return;
      enabled = true;
      unsubscribe = core.events.subscribe(POLICY_COMPILED_TOPIC, () => catchUp());
      await catchUp();
      // Each tick also looks for a generation whose announcement was missed (a dropped LISTEN connection).
      pollTimer = setInterval(() => void pollDenied().then(() => catchUp()), core.config.egress.poll_interval_ms);
      pollTimer.unref();
    },

    async stop() {
      if (!enabled) return;
      enabled = false;
      unsubscribe?.();
      if (pollTimer) clearInterval(pollTimer);
      await applying;
      dropPrepared();
      settle(Number.MAX_SAFE_INTEGER, errors.unavailable('the egress data plane stopped'));
    },

    status: () => ({ enabled, node_id: nodeId, generation: applied, applied_at: appliedAt, error: failed?.error ?? null }),
  };
}
