import type { Kysely } from 'kysely';
import type { WebSocket } from 'ws';
import type { Core } from '../../../core/index.js';
import { errors, isRampartError, RampartError } from '../../../core/errors.js';
import { versionInfo } from '../../../version.js';
import type { EdgeHooks, LiveNetwork, PendingKind } from '../edge.types.js';
import { createSystemStats } from './system-stats.js';

/** Published when pending flags change; pending/stream pushes the new state. */
export const EDGE_PENDING = 'edge.pending';
const KINDS: PendingKind[] = ['firewall', 'nat', 'dns'];
/** AiFw's WebSocket history: at most this many slim samples on connect. */
export const HISTORY_SENT = 600;
const HISTORY_KEPT = 1800;
/** Series are stored every this many ticks, and kept this long. */
const STORE_EVERY_TICKS = 10;
export const SERIES_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** The stored series (metrics/list), each a number the tick computes. */
export const SERIES = [
  'cpu_usage', 'memory_pct', 'pf_states', 'bytes_in', 'bytes_out', 'packets_in', 'packets_out', 'bytes_in_per_sec', 'bytes_out_per_sec', 'blocked_total',
] as const;
type SeriesName = (typeof SERIES)[number];

interface Tables {
  edge_frame_pending: { kind: string; marked_at: string };
  edge_frame_samples: { name: string; at: string; value: number };
}

export type StatusUpdate = Awaited<ReturnType<ReturnType<typeof createFrameService>['sample']>>;

/**
 * The frame of every AiFw page: pending flags and reload, status, metrics and their stored series, and the
 * metrics WebSocket: ONE 1 Hz producer builds each update once and broadcasts the same text to every socket.
 */
export function createFrameService(core: Core, hooks: EdgeHooks) {
  const db = () => core.db.kysely as unknown as Kysely<Tables>;
  const system = createSystemStats();
  const sockets = new Set<WebSocket>();
  const history: Array<Record<string, number>> = [];
  let timer: NodeJS.Timeout | null = null;
  let ticks = 0;
  let recording = false;
  /** serve asked for the series: recorded once this host routes through the edge (recordWhenRouting). */
  let recordingWanted = false;
  let previous: { at: number; bytes_in: number; bytes_out: number } | null = null;
  let lastText: string | null = null;
  let tickRunning = false;

  // ---- pending ----
  async function pending() {
    const rows = await db().selectFrom('edge_frame_pending').selectAll().execute();
    const flags = Object.fromEntries(KINDS.map((k) => [k, rows.some((r) => r.kind === k)])) as Record<PendingKind, boolean>;
    const since = rows.map((r) => r.marked_at).sort()[0] ?? null;
    return { pending: rows.length > 0, ...flags, since, data: { ...flags } };
  }
  async function markPending(kinds: PendingKind[]) {
    if (!kinds.length) return;
    const at = core.now().toISOString();
    for (const kind of new Set(kinds)) {
      await db().insertInto('edge_frame_pending').values({ kind, marked_at: at }).onConflict((oc) => oc.column('kind').doNothing()).execute();
    }
    await core.events.publish(EDGE_PENDING, { kinds });
  }
  async function clearPending(kinds: PendingKind[]) {
    await db().deleteFrom('edge_frame_pending').where('kind', 'in', kinds).execute();
    await core.events.publish(EDGE_PENDING, { cleared: kinds });
  }

  // ---- reload ----
  async function reload() {
    const steps = [...hooks.applySteps].sort((a, b) => a.order - b.order);
    const report: Array<{ step: string; ok: boolean; ms: number; error?: string }> = [];
    for (const step of steps) {
      const started = performance.now();
      try {
        await step.apply();
        report.push({ step: step.name, ok: true, ms: Math.round(performance.now() - started) });
      } catch (err) {
        const message = isRampartError(err) ? err.message : (err as Error).message;
        core.logger.warn({ step: step.name, err }, 'edge reload step failed');
        // The steps before it stay applied; nothing after it runs. Pending flags stay set.
        const status = isRampartError(err) && err.status < 500 ? err.status : 502;
        throw new RampartError({
          code: 'apply_failed', status, message: `reload failed at step ${step.name}: ${message}`,
          details: { steps: [...report, { step: step.name, ok: false, error: message }] },
        });
      }
    }
    await clearPending(['firewall', 'nat']);
    if (recordingWanted && core.config.dataplane.enabled) startRecording();
    return { message: steps.length ? `applied ${steps.map((s) => s.name).join(', ')}` : 'nothing to apply', steps: report };
  }

  // ---- the tick ----
  async function sample() {
    const [net, counts] = await Promise.all([
      hooks.liveNetwork().catch((err): LiveNetwork => {
        core.logger.debug({ err }, 'edge live network read failed');
        return { connections: [], connection_count: 0, interfaces: [], blocked: [], default_gateway: null, route_count: 0 };
      }),
      hooks.firewallCounts().catch(() => ({ rules: 0, active_rules: 0, nat_rules: 0 })),
    ]);
    const sum = (key: 'bytes_in' | 'bytes_out' | 'packets_in' | 'packets_out') => net.interfaces.filter((i) => i.name !== 'lo').reduce((n, i) => n + i[key], 0);
    const status = {
      pf_running: core.config.dataplane.enabled,
      pf_states: net.connection_count,
      pf_rules: counts.active_rules + counts.nat_rules,
      aifw_rules: counts.rules,
      aifw_active_rules: counts.active_rules,
      nat_rules: counts.nat_rules,
      packets_in: sum('packets_in'),
      packets_out: sum('packets_out'),
      bytes_in: sum('bytes_in'),
      bytes_out: sum('bytes_out'),
    };
    const sys = await system.read({ default_gateway: net.default_gateway, route_count: net.route_count });
    return {
      status,
      system: sys,
      connections: net.connections,
      interfaces: net.interfaces,
      blocked: net.blocked,
      services: [
        { name: 'rampart', running: true, enabled: true },
        { name: 'nftables', running: core.config.dataplane.enabled, enabled: core.config.dataplane.enabled },
      ],
    };
  }

  function slim(update: StatusUpdate, at: number): Record<SeriesName | 't', number> {
    const s = update.status;
    const dt = previous ? (at - previous.at) / 1000 : 0;
    const rate = (now: number, before: number | undefined) => (dt > 0 && before !== undefined ? Math.max(0, (now - before) / dt) : 0);
    const row = {
      t: Math.floor(at / 1000),
      cpu_usage: update.system.cpu_usage,
      memory_pct: update.system.memory_pct,
      pf_states: s.pf_states,
      bytes_in: s.bytes_in,
      bytes_out: s.bytes_out,
      packets_in: s.packets_in,
      packets_out: s.packets_out,
      bytes_in_per_sec: rate(s.bytes_in, previous?.bytes_in),
      bytes_out_per_sec: rate(s.bytes_out, previous?.bytes_out),
      blocked_total: update.blocked.length,
    };
    previous = { at, bytes_in: s.bytes_in, bytes_out: s.bytes_out };
    return row;
  }

  /** One tick: sample once, keep the slim row, store every few ticks, and send one text to every socket. */
  async function tick() {
    if (tickRunning) return; // a slow read never stacks ticks
    tickRunning = true;
    try {
      const at = core.now().getTime();
      const update = await sample();
      const row = slim(update, at);
      history.push(row);
      if (history.length > HISTORY_KEPT) history.splice(0, history.length - HISTORY_KEPT);
      ticks += 1;
      if (recording && ticks % STORE_EVERY_TICKS === 0) await store(row, at);
      lastText = JSON.stringify({ type: 'status_update', ...update });
      broadcast(lastText);
    } catch (err) {
      core.logger.warn({ err }, 'edge metrics tick failed');
    } finally {
      tickRunning = false;
    }
  }

  function broadcast(text: string) {
    // Encoded once for every socket: ws would turn the string into UTF-8 bytes again for each send.
    const bytes = Buffer.from(text);
    for (const socket of sockets) {
      // A client that cannot keep up is dropped rather than buffered without limit.
      if (socket.bufferedAmount > 4 * 1024 * 1024) socket.terminate();
      else socket.send(bytes, { binary: false });
    }
  }

  async function store(row: Record<string, number>, at: number) {
    const iso = new Date(at).toISOString();
    await db().insertInto('edge_frame_samples').values(SERIES.map((name) => ({ name, at: iso, value: Number(row[name]) || 0 }))).execute();
    if (ticks % (STORE_EVERY_TICKS * 60) === 0) {
      await db().deleteFrom('edge_frame_samples').where('at', '<', new Date(at - SERIES_RETENTION_MS).toISOString()).execute();
    }
  }

  function ensureRunning() {
    if (timer) return;
    timer = setInterval(() => void tick(), 1000);
    timer.unref();
    void tick();
  }
  function startRecording() {
    recording = true;
    ensureRunning();
    return {
      stop: async () => {
        recording = false;
        stopIfIdle();
      },
    };
  }
  function stopIfIdle() {
    if (timer && !recording && sockets.size === 0) {
      clearInterval(timer);
      timer = null;
    }
  }

  return {
    pending,
    markPending,
    clearPending,
    reload,
    sample,
    tick,
    /** Starts recording the series; the producer also runs while sockets are open. */
    startRecording,
    /**
     * What serve records: the producer spawns ip and conntrack every second, so it records only on a host whose
     * firewall the edge runs (the data plane on and an apply done here, now or at the next reload). Elsewhere (an
     * egress gateway, a box without the data plane) open metrics sockets alone drive it.
     */
    async recordWhenRouting() {
      recordingWanted = true;
      if (core.config.dataplane.enabled && (await hooks.hostApplied())) startRecording();
      return {
        stop: async () => {
          recordingWanted = false;
          recording = false;
          stopIfIdle();
        },
      };
    },
    /** A new metrics socket: the history first, then every tick's update from the one producer. */
    attach(socket: WebSocket) {
      sockets.add(socket);
      socket.send(JSON.stringify({ type: 'history', data: history.slice(-HISTORY_SENT) }));
      socket.on('close', () => {
        sockets.delete(socket);
        stopIfIdle();
      });
      ensureRunning();
    },
    socketCount: () => sockets.size,
    /** Whether the 1 Hz producer runs (recording, or a socket open). */
    producing: () => timer !== null,
    closeSockets() {
      for (const s of sockets) s.close(1001, 'server shutting down');
    },
    lastUpdateText: () => lastText,

    async status() {
      return (await sample()).status;
    },
    async metrics() {
      const s = await this.status();
      return {
        pf_running: s.pf_running, pf_states_count: s.pf_states, pf_rules_count: s.pf_rules, pf_packets_in: s.packets_in, pf_packets_out: s.packets_out,
        pf_bytes_in: s.bytes_in, pf_bytes_out: s.bytes_out, aifw_rules_total: s.aifw_rules, aifw_rules_active: s.aifw_active_rules, aifw_nat_rules_total: s.nat_rules,
      };
    },
    about() {
      return {
        name: 'Rampart', product: 'AiFw-compatible edge', version: versionInfo.rampart, commit: versionInfo.commit, build_time: versionInfo.build_time,
        node: versionInfo.node, platform: `${process.platform} ${process.arch}`, dataplane: core.config.dataplane.enabled ? 'nftables' : 'off',
        features: ['rules', 'nat', 'aliases', 'schedules', 'geoip', 'interfaces', 'vlans', 'routes', 'connections', 'metrics', 'config-history'],
      };
    },
    async series(names: string[], from: Date, to: Date, maxPoints: number) {
      const unknown = names.filter((n) => !(SERIES as readonly string[]).includes(n));
      if (unknown.length) throw errors.validation(`metrics: unknown series ${unknown.join(', ')}; see GET /api/v1/metrics/list`);
      if (from >= to) throw errors.validation('from must be before to');
      const rows = await db()
        .selectFrom('edge_frame_samples')
        .select(['name', 'at', 'value'])
        .where('name', 'in', names)
        .where('at', '>=', from.toISOString())
        .where('at', '<=', to.toISOString())
        .orderBy('name')
        .orderBy('at')
        .execute();
      return names.map((name) => {
        const points = rows.filter((r) => r.name === name).map((r) => ({ t: Math.floor(Date.parse(String(r.at)) / 1000), v: Number(r.value) }));
        const step = Math.max(1, Math.ceil(points.length / maxPoints));
        return { name, points: step === 1 ? points : points.filter((_, i) => i % step === 0) };
      });
    },
  };
}

export type FrameService = ReturnType<typeof createFrameService>;
