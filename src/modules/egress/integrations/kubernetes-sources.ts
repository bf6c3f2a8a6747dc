import type { Logger } from '../../../core/logger.js';
import type { KubernetesSource, PolicyRecord } from '../policy/policy.types.js';
import { labelSelector } from './kubernetes.js';

/** What one selector resolved to, as its policy's status shows it. */
export interface SourceResolution {
  /** Whether it was ever resolved: until then it contributes no address. */
  resolved: boolean;
  /** The addresses the compiled policy uses: the last successful answer. */
  addresses: string[];
  /** Why the last attempt failed (the API server unreachable, 401, 403 ...), null after a success. */
  error: string | null;
  /** When addresses were last fetched (RFC 3339), null before the first success. */
  resolved_at: string | null;
}

export interface KubernetesSourcesDeps {
  /** Asks the integration's API server (createKubernetesResolver). */
  api: { resolve(source: KubernetesSource): Promise<string[]> };
  /** The record the gateway enforces, and a recompile of it as a new generation. */
  policies(): { activeMentioningKubernetes(): Promise<PolicyRecord | null>; recompile(): Promise<number> };
  intervalMs: number;
  /** Runs fn once the current transaction commits (core.db.afterCommit): a new selector is resolved after its write. */
  afterCommit(fn: () => void): void;
  logger: Logger;
  now(): Date;
}

/** One selector's identity: the same integration, namespace and labels are one API request. */
export function sourceKey(source: KubernetesSource): string {
  const pod = source.pod_selector;
  const what = pod ? `pods:${pod.namespace}:${labelSelector(pod.match_labels)}` : `nodes::${labelSelector(source.node_selector?.match_labels)}`;
  return `${source.integration.trim()}|${what}`;
}

const sameAddresses = (a: string[], b: string[]) => a.length === b.length && a.every((ip, i) => ip === b[i]);

/**
 * Kubernetes selectors resolved in the background, as Neuwerk does: a loop asks the API servers every interval for
 * the selectors the active policy uses and keeps the answers here; the policy compiler reads them (never waiting on an
 * API server, so a write cannot fail because one is down), and a change of addresses recompiles the policy. A
 * selector that cannot be resolved keeps its last addresses (none before its first success), and says why.
 */
export function createKubernetesSources(deps: KubernetesSourcesDeps) {
  const known = new Map<string, SourceResolution>();
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let sweeping: Promise<void> | null = null;
  let again = false;

  const unresolved = (): SourceResolution => ({ resolved: false, addresses: [], error: null, resolved_at: null });

  async function activeSources(): Promise<Map<string, KubernetesSource>> {
    const sources = new Map<string, KubernetesSource>();
    const record = await deps.policies().activeMentioningKubernetes();
    for (const group of record?.policy.source_groups ?? []) for (const source of group.sources.kubernetes ?? []) sources.set(sourceKey(source), source);
    return sources;
  }

  /** Resolves one selector; true when its addresses changed. */
  async function refresh(key: string, source: KubernetesSource): Promise<boolean> {
    const before = known.get(key) ?? unresolved();
    try {
      const addresses = [...(await deps.api.resolve(source))].sort();
      known.set(key, { resolved: true, addresses, error: null, resolved_at: deps.now().toISOString() });
      return !sameAddresses(before.addresses, addresses);
    } catch (err) {
      const error = (err as Error).message;
      if (error !== before.error) deps.logger.warn({ integration: source.integration, err: error }, 'kubernetes selector not resolved; the policy keeps its last known addresses');
      known.set(key, { ...before, error });
      return false;
    }
  }

  /** One pass over every selector the active policy uses; recompiles when any resolved to other addresses. */
  async function sweepOnce(): Promise<void> {
    const sources = await activeSources();
    for (const key of [...known.keys()]) if (!sources.has(key)) known.delete(key);
    const changed = await Promise.all([...sources].map(([key, source]) => refresh(key, source)));
    if (changed.some(Boolean)) {
      const generation = await deps.policies().recompile();
      deps.logger.info({ generation }, 'kubernetes selectors resolved to new addresses; policy recompiled');
    }
  }

  /** Runs a pass; a call during one makes it run again afterwards, so a new selector is not missed. */
  function sweep(): Promise<void> {
    if (sweeping) {
      again = true;
      return sweeping;
    }
    sweeping = (async () => {
      do {
        again = false;
        await sweepOnce().catch((err) => deps.logger.warn({ err }, 'kubernetes selector resolution failed'));
      } while (again);
    })().finally(() => (sweeping = null));
    return sweeping;
  }

  function schedule() {
    if (!running) return;
    timer = setTimeout(() => void sweep().finally(schedule), deps.intervalMs);
    timer.unref();
  }

  return {
    /**
     * The addresses known for a selector now, for the compiler: never waits on an API server. A selector seen for
     * the first time has none yet; the running loop is woken to resolve it (and then recompiles).
     */
    async resolve(source: KubernetesSource): Promise<string[]> {
      const entry = known.get(sourceKey(source));
      if (!entry && running) deps.afterCommit(() => void sweep());
      return entry?.addresses ?? [];
    },
    status: (source: KubernetesSource): SourceResolution => ({ ...(known.get(sourceKey(source)) ?? unresolved()) }),
    /** One pass now (tests, and the start of the loop). */
    sweep,
    start() {
      if (running) return;
      running = true;
      void sweep().finally(schedule);
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await sweeping;
    },
  };
}

export type KubernetesSources = ReturnType<typeof createKubernetesSources>;
