import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { FlowEvent } from '../wiretap/flow-tracker.js';
import { createFeedRefresher } from './feed-refresh.js';
import { createIndicatorMatcher, type IndicatorMatcher } from './indicator-matcher.js';
import { createSilenceMatcher, normalizeSilence, type SilenceInput, type SilenceMatcher } from './silence-matcher.js';
import { createThreatFindingsStore, type ThreatFindingFilter } from './threat-findings.store.js';
import { createThreatSettings, THREAT_SETTINGS_TOPIC, type ThreatSettingsUpdate } from './threat-settings.js';
import { createThreatStore } from './threat.store.js';
import type { IndicatorType, Observation, ObservationLayer, ThreatFinding, ThreatSeverity, ThreatSilence } from './threat.types.js';

/** Published after a silence is added or removed; every node recompiles its silence matcher. */
export const THREAT_SILENCES_TOPIC = 'egress.threat_intel.silences';
export const SILENCES_MAX = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ThreatServiceDeps {
  nodeId: string;
  /** The source group that claims a client address under the running policy ('default' when none does). */
  sourceGroupOf(ip: string): string;
  /** How often due feeds are looked for (5 s). */
  feedTickMs?: number;
}

export interface ThreatFindingsAnswer {
  items: ThreatFinding[];
  partial: boolean;
  node_errors: { node_id: string; error: string }[];
  nodes_queried: number;
  nodes_responded: number;
  disabled: boolean;
}

/**
 * Threat intelligence as Neuwerk runs it: the baseline feeds' indicators matched against the names the DNS proxy
 * is asked for and the flows the gateway forwards, silences dropping a match before it becomes a finding, and
 * nothing matched or refreshed while the settings say disabled.
 */
export function createThreatService(core: Core, deps: ThreatServiceDeps) {
  const settings = createThreatSettings(core);
  const store = createThreatStore(core);
  const findings = createThreatFindingsStore(core.config.egress.findings_max);
  let indicators: IndicatorMatcher = createIndicatorMatcher([]);
  let silenceList: ThreatSilence[] = [];
  let silences: SilenceMatcher = createSilenceMatcher([]);
  let enabled = false;
  let started = false;
  const refresher = createFeedRefresher({ core, store, settings, tickMs: deps.feedTickMs, onIndicators: (list) => (indicators = createIndicatorMatcher(list)) });

  function applySettings(current: { enabled: boolean; alert_threshold: ThreatSeverity }): void {
    enabled = current.enabled;
    findings.setAlertThreshold(current.alert_threshold);
  }
  const syncSettings = async () => applySettings(await settings.get());
  function applySilences(list: ThreatSilence[]): void {
    silenceList = list;
    silences = createSilenceMatcher(list);
  }
  const syncSilences = async () => applySilences(await store.listSilences(SILENCES_MAX));
  const logFailure = (what: string) => (err: unknown) => core.logger.error({ err }, `threat-intel could not ${what}`);
  core.events.subscribe(THREAT_SETTINGS_TOPIC, () => {
    // A changed feed toggle changes which indicators match; where feeds are downloaded, newly due ones go at once.
    void syncSettings().then(() => (started ? refresher.refresh() : refresher.republish())).catch(logFailure('apply new settings'));
  });
  core.events.subscribe(THREAT_SILENCES_TOPIC, () => void syncSilences().catch(logFailure('reload silences')));

  /** The hot path: a hash lookup or a few when nothing matches; the source group is only worked out on a match. */
  function observe(indicator_type: IndicatorType, indicator: string, layer: ObservationLayer, sourceGroup: () => string): void {
    if (!enabled || indicators.size === 0) return;
    const match = indicator_type === 'hostname' ? indicators.matchHostname(indicator) : indicators.matchIp(indicator);
    if (!match || silences.matches(match.indicator_type, match.indicator)) return;
    const seen: Observation = { indicator, indicator_type, observation_layer: layer, source_group: sourceGroup(), node_id: deps.nodeId, at: Math.floor(core.now().getTime() / 1000) };
    findings.record(seen, match);
  }

  return {
    settings,
    findingsStore: findings,
    refresher,

    /** A name the DNS proxy was asked for by a client of this group. */
    observeDns(hostname: string, sourceGroup: string): void {
      observe('hostname', hostname, 'dns', () => sourceGroup);
    },
    /** A flow the gateway forwards: its destination address, and the name the DNS cache knows it by. */
    observeFlow(flow: Pick<FlowEvent, 'src_ip' | 'dst_ip' | 'hostname'>): void {
      const group = () => deps.sourceGroupOf(flow.src_ip);
      observe('ip', flow.dst_ip, 'l4', group);
      if (flow.hostname) observe('hostname', flow.hostname, 'l4', group);
    },

    /** Loads settings, silences and the stored indicators, so matching works before the first download. */
    async prepare(): Promise<void> {
      await Promise.all([syncSettings(), syncSilences(), refresher.load()]);
    },
    async start(): Promise<void> {
      await this.prepare();
      started = true;
      refresher.start();
    },
    async stop(): Promise<void> {
      started = false;
      await refresher.stop();
    },

    async updateSettings(update: ThreatSettingsUpdate) {
      const next = await settings.update(update);
      // At once on this node (other nodes follow the event), so the next query already sees the new value.
      core.db.afterCommit(() => applySettings(next));
      return next;
    },

    async feedStatus() {
      return refresher.status(await settings.get());
    },

    async findings(filter: ThreatFindingFilter): Promise<ThreatFindingsAnswer> {
      if (!(await settings.get()).enabled) return { items: [], partial: false, node_errors: [], nodes_queried: 0, nodes_responded: 0, disabled: true };
      return { items: findings.query(filter), partial: false, node_errors: [], nodes_queried: 1, nodes_responded: 1, disabled: false };
    },

    listSilences: (limit: number) => store.listSilences(limit),

    async createSilence(input: SilenceInput, createdBy: string | null): Promise<ThreatSilence> {
      const silence: ThreatSilence = { id: randomUUID(), ...normalizeSilence(input), created_at: Math.floor(core.now().getTime() / 1000), created_by: createdBy };
      if ((await store.countSilences()) >= SILENCES_MAX) throw errors.validation(`at most ${SILENCES_MAX} threat silences may exist`);
      await store.insertSilence(silence);
      await announceSilences(() => [...silenceList, silence]);
      return silence;
    },

    async deleteSilence(id: string): Promise<void> {
      if (!UUID.test(id) || !(await store.deleteSilence(id))) throw errors.notFound('threat silence not found');
      await announceSilences(() => silenceList.filter((s) => s.id !== id));
    },
  };

  /** On commit this node's matcher changes at once; other nodes reload on the event. */
  async function announceSilences(next: () => ThreatSilence[]) {
    core.db.afterCommit(() => applySilences(next()));
    await core.events.publish(THREAT_SILENCES_TOPIC, {});
  }
}

export type ThreatService = ReturnType<typeof createThreatService>;
