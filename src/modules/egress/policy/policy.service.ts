import type { PageRequest } from '../../../core/db/paginate.js';
import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors, isRampartError } from '../../../core/errors.js';
import { isUuid } from '../../../core/db/ids.js';
import { compileParts, compilePartsStreamed, STREAM_AFTER_GROUPS } from '../compiler/compile.js';
import type { CompiledParts, CompiledPolicy } from '../compiler/compiled.types.js';
import type { DataplaneRuntime, StreamedScript } from '../dataplane/dataplane.types.js';
import { effectivePolicy, type KubernetesResolve } from './policy.effective.js';
import { diffPolicies, type PolicyChanges } from './policy.diff.js';
import { formatPath, interceptingRules, parsePolicyConfig, type PolicyIssue } from './policy.model.js';
import { createPolicyStore, type RecordHead } from './policy.store.js';
import type { EffectivePolicy, KubernetesSource, PolicyConfig, PolicyRecord, RecordMode } from './policy.types.js';

/** Published after the transaction that stored a new generation commits; the data-plane runtime applies it. */
export const POLICY_COMPILED_TOPIC = 'egress.policy.compiled';
export const MAX_POLICY_NAME = 200;
const RECORD_MODES: RecordMode[] = ['enforce', 'audit', 'disabled'];

/** What a client sends to create or replace a record (the route checks it is an object). */
export interface PolicyWrite {
  mode?: unknown;
  name?: unknown;
  policy?: unknown;
}

/** Services of other egress parts the policy code uses; looked up when needed, each optional in a partial build. */
export interface PolicyDeps {
  integrations?: { exists(name: string): Promise<boolean> };
  kubernetes?: { resolve(source: KubernetesSource): Promise<string[]> };
  tlsCa?: { status(): Promise<{ configured: boolean }> };
  runtime?: Pick<DataplaneRuntime, 'enabled' | 'waitFor' | 'scriptStream'> | null;
}

/** Called inside the write's transaction with the record written (or deleted), so its audit row commits with it. */
export type WriteHook = (record: PolicyRecord, generation: number) => Promise<void>;

const EMPTY_EFFECTIVE: EffectivePolicy = { generation: 0, default_policy: 'allow', groups: [] };

/**
 * Policy records and the write path of the egress contract: validate -> (in one transaction, holding the policy
 * write lock) store the record, move the active pointer (Neuwerk's rule: the record written last in enforce or audit
 * mode is the one enforced; writing the active record as disabled, or deleting it, leaves none), resolve kubernetes
 * sources of the active record, compile, store the generation, publish `egress.policy.compiled` (delivered on
 * commit) -> wait for the data plane to run it. The wait happens after the commit, so a 503 means "stored, not
 * confirmed live" (as in Neuwerk). The policy document (/api/v1/policy) is the active record's policy.
 */
export function createPolicyService(core: Pick<Core, 'db' | 'events' | 'now' | 'config'>, deps: () => PolicyDeps) {
  const store = createPolicyStore(core.db);

  async function find(id: string): Promise<PolicyRecord> {
    const record = isUuid(id) ? await store.get(id) : null;
    if (!record) throw errors.notFound('policy not found');
    return record;
  }

  async function findByName(name: string): Promise<PolicyRecord> {
    const record = await store.getByName(name);
    if (!record) throw errors.notFound(`policy "${name}" not found`);
    return record;
  }

  /** The checks that need no lock: shape and fields, the mode, referenced integrations, the TLS-intercept CA. */
  async function validate(input: PolicyWrite): Promise<{ mode: RecordMode; policy: PolicyConfig }> {
    const given = input.mode ?? 'enforce';
    const mode = typeof given === 'string' ? given.trim().toLowerCase() : given;
    if (!RECORD_MODES.includes(mode as RecordMode)) throw errors.validation(`mode: must be one of ${RECORD_MODES.join(', ')}`);
    const parsed = parsePolicyConfig(input.policy);
    if (!parsed.ok) throw errors.validation(parsed.message);
    await checkIntegrations(parsed.policy);
    await checkInterceptCa(parsed.policy);
    return { mode: mode as RecordMode, policy: parsed.policy };
  }

  async function checkIntegrations(policy: PolicyConfig) {
    const integrations = deps().integrations;
    const known = new Map<string, boolean>();
    for (const [gi, group] of policy.source_groups.entries()) {
      for (const [ki, source] of (group.sources.kubernetes ?? []).entries()) {
        const name = source.integration.trim();
        if (!known.has(name)) known.set(name, integrations ? await integrations.exists(name) : false);
        if (!known.get(name)) {
          const path = formatPath(['policy', 'source_groups', gi, 'sources', 'kubernetes', ki, 'integration']);
          throw errors.validation(`${path}: unknown kubernetes integration "${name}"`);
        }
      }
    }
  }

  async function checkInterceptCa(policy: PolicyConfig) {
    const paths = interceptingRules(policy);
    const tlsCa = deps().tlsCa;
    if (paths.length === 0 || !tlsCa || (await tlsCa.status()).configured) return;
    throw errors.validation(`${paths[0]}: tls.mode intercept needs a TLS-intercept CA; upload or generate one first (/api/v1/settings/tls-intercept-ca)`);
  }

  /** A name as stored: trimmed; null when absent, null or blank (names are optional, as in Neuwerk). */
  function optionalName(name: unknown): string | null {
    if (name === undefined || name === null || (typeof name === 'string' && name.trim() === '')) return null;
    return checkName(name);
  }

  function checkName(name: unknown): string {
    if (typeof name !== 'string') throw errors.validation(name === undefined ? 'name: required' : 'name: must be a string');
    const trimmed = name.trim();
    if (trimmed === '') throw errors.validation('name: must not be empty');
    if (trimmed.length > MAX_POLICY_NAME) throw errors.validation(`name: must be at most ${MAX_POLICY_NAME} characters`);
    if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw errors.validation('name: must not contain control characters');
    return trimmed;
  }

  async function assertNameFree(name: string | null, exceptId?: string) {
    if (name === null) return;
    const holder = await store.headByName(name);
    if (holder && holder.id !== exceptId) throw errors.conflict(`a policy named "${name}" already exists (id ${holder.id})`);
  }

  /**
   * Runs one change under the write lock, then compiles the active record and stores the next generation, all in one
   * transaction; after the commit waits for the data plane. Returns what `change` returned.
   */
  async function write<T extends PolicyRecord | null>(change: () => Promise<T>, hook?: (result: T, generation: number) => Promise<void>): Promise<T> {
    const { result, generation } = await core.db.transaction(async () => {
      await store.lockWrites();
      const result = await change();
      const generation = await compileAndStore(result);
      if (hook) await hook(result, generation);
      return { result, generation };
    });
    await awaitApplied(generation);
    return result;
  }

  /**
   * Inside the write transaction: the compiled policy of the active record as it is now, as a new generation.
   * `written` is the record the write left (when it is the active one, its policy is not read back).
   */
  async function compileAndStore(written?: PolicyRecord | null): Promise<number> {
    const generation = (await store.latestGenerationNumber()) + 1;
    const activeId = await store.activeId();
    const active = activeId && written?.id === activeId ? written : await store.active();
    const effective = await effectivePolicy(active, generation, resolver());
    await store.addGeneration(await compile(effective), core.now().toISOString());
    await core.events.publish(POLICY_COMPILED_TOPIC, { generation });
    return generation;
  }

  function resolver(): KubernetesResolve {
    const kubernetes = deps().kubernetes;
    return async (source) => {
      if (!kubernetes) throw errors.unavailable('kubernetes sources cannot be resolved: this build has no kubernetes integration support');
      try {
        return await kubernetes.resolve(source);
      } catch (err) {
        if (isRampartError(err)) throw err;
        throw errors.unavailable(`could not resolve the kubernetes source of integration "${source.integration}": ${(err as Error).message}`);
      }
    };
  }

  /**
   * With the data plane in this process, a compile that makes many groups anew streams its script into an nft of the
   * data plane meanwhile (it parses, changes nothing); the runtime ends that nft's input when it applies this
   * generation after the commit, or aborts it.
   */
  async function compile(effective: EffectivePolicy): Promise<CompiledParts> {
    const runtime = deps().runtime;
    let streamed: StreamedScript | null = null;
    try {
      if (!runtime?.enabled || !runtime.scriptStream) return compileParts(effective);
      return await compilePartsStreamed(effective, { after: STREAM_AFTER_GROUPS, open: () => (streamed = runtime.scriptStream!(effective.generation)) });
    } catch (err) {
      (streamed as StreamedScript | null)?.abort();
      if (isRampartError(err)) throw err;
      // The compiler is pure over validated input: what it refuses is a policy it cannot express.
      throw errors.validation(`the policy does not compile: ${(err as Error).message}`);
    }
  }

  async function awaitApplied(generation: number) {
    const runtime = deps().runtime;
    if (!runtime?.enabled) return;
    const timeoutMs = core.config.egress.apply_timeout_ms;
    try {
      await runtime.waitFor(generation, timeoutMs);
    } catch (err) {
      if (isRampartError(err)) throw err;
      throw errors.unavailable(`the data plane did not apply generation ${generation} within ${timeoutMs} ms: ${(err as Error).message}`);
    }
  }

  /** Neuwerk's activation: a record written in enforce or audit mode becomes the active one; the active one written disabled leaves none. */
  async function activate(record: PolicyRecord) {
    if (record.mode !== 'disabled') await store.setActive(record.id);
    else if (await store.isActive(record.id)) await store.setActive(null);
  }

  function newRecord(name: string | null, valid: { mode: RecordMode; policy: PolicyConfig }): PolicyRecord {
    const now = core.now().toISOString();
    return { id: randomUUID(), name, mode: valid.mode, policy: valid.policy, created_at: now, updated_at: now };
  }

  async function insert(record: PolicyRecord) {
    await assertNameFree(record.name);
    try {
      await store.insert(record);
    } catch (err) {
      if (core.db.dialect.isUniqueViolation(err)) throw errors.conflict(`a policy named "${record.name}" already exists`);
      throw err;
    }
    await activate(record);
  }

  /** `current` is the record replaced, its policy not read: the new one replaces it whole. */
  async function replace(current: RecordHead, name: string | null, valid: { mode: RecordMode; policy: PolicyConfig }): Promise<PolicyRecord> {
    await assertNameFree(name, current.id);
    const next: PolicyRecord = { ...current, name, mode: valid.mode, policy: valid.policy, updated_at: core.now().toISOString() };
    await store.update(next);
    await activate(next);
    return next;
  }

  return {
    list: () => store.list(),
    listPage: (page: PageRequest) => store.listPage(page),
    get: find,
    getByName: findByName,

    /** The record the gateway enforces (the policy document), or null when none is active. */
    active: () => store.active(),
    /** The active record when it may name kubernetes sources (else null, and it is not read). */
    activeMentioningKubernetes: () => store.activeMentioningKubernetes(),

    async create(input: PolicyWrite, hook?: WriteHook): Promise<PolicyRecord> {
      const name = optionalName(input.name);
      const valid = await validate(input);
      return write(async () => {
        const record = newRecord(name, valid);
        await insert(record);
        return record;
      }, hook);
    },

    /** Replaces mode, policy and (when given) name of a record. */
    async replace(id: string, input: PolicyWrite, hook?: WriteHook): Promise<PolicyRecord> {
      if (!isUuid(id) || !(await store.exists(id))) throw errors.notFound('policy not found');
      const name = input.name === undefined || input.name === null ? undefined : optionalName(input.name);
      const valid = await validate(input);
      return write(async () => {
        const current = await store.head(id); // again under the lock: it may have gone meanwhile
        if (!current) throw errors.notFound('policy not found');
        return replace(current, name ?? current.name, valid);
      }, hook);
    },

    /** Creates the record of that name, or replaces it; says which. */
    async upsertByName(name: string, input: PolicyWrite, hook?: (record: PolicyRecord, generation: number, created: boolean) => Promise<void>): Promise<{ record: PolicyRecord; created: boolean }> {
      const pathName = checkName(name);
      if (input.name !== undefined && input.name !== null && checkName(input.name).toLowerCase() !== pathName.toLowerCase()) {
        throw errors.validation(`name: ${JSON.stringify(input.name)} differs from the name in the path (${JSON.stringify(pathName)})`);
      }
      const valid = await validate(input);
      let created = false;
      const record = await write(async () => {
        const current = await store.headByName(pathName);
        created = !current;
        if (current) return replace(current, pathName, valid);
        const record = newRecord(pathName, valid);
        await insert(record);
        return record;
      }, hook ? (record, generation) => hook(record, generation, created) : undefined);
      return { record, created };
    },

    /**
     * PUT /api/v1/policy: the document replaces the active record's policy (and makes it enforce, as Neuwerk's
     * singleton write does); with no active record it becomes a new, unnamed enforce record. Says which.
     */
    async putDocument(policy: unknown, hook?: (record: PolicyRecord, generation: number, created: boolean) => Promise<void>): Promise<PolicyRecord> {
      const valid = await validate({ mode: 'enforce', policy });
      let created = false;
      return write(async () => {
        const current = await store.activeHead();
        created = !current;
        if (current) return replace(current, current.name, valid);
        const record = newRecord(null, valid);
        await insert(record);
        return record;
      }, hook ? (record, generation) => hook(record, generation, created) : undefined);
    },

    /**
     * PUT /api/v1/policy without the write: every problem at its path, or what would change in the enforced policy.
     * The checks are validate()'s; only the shape check reports more than its first problem.
     */
    async dryRunDocument(policy: unknown): Promise<{ valid: boolean; issues: PolicyIssue[]; changes: PolicyChanges | null }> {
      const parsed = parsePolicyConfig(policy);
      if (!parsed.ok) return { valid: false, issues: parsed.issues, changes: null };
      try {
        await checkIntegrations(parsed.policy);
        await checkInterceptCa(parsed.policy);
      } catch (err) {
        if (!isRampartError(err) || err.code !== 'validation_failed') throw err;
        return { valid: false, issues: [issueOf(err.message)], changes: null };
      }
      return { valid: true, issues: [], changes: diffPolicies((await store.active())?.policy ?? null, parsed.policy) };
    },

    async remove(id: string, hook?: WriteHook): Promise<void> {
      await find(id);
      await write(async () => {
        const record = await find(id);
        await store.remove(record.id);
        return record;
      }, hook);
    },

    /** Compiles the active record again as a new generation (with the kubernetes addresses known now) and waits for it. */
    async recompile(): Promise<number> {
      const generation = await core.db.transaction(async () => {
        await store.lockWrites();
        return compileAndStore();
      });
      await awaitApplied(generation);
      return generation;
    },

    /** The policy the newest generation was compiled from; allow-all generation 0 before any write. */
    async effective(): Promise<EffectivePolicy> {
      return (await store.latestGeneration())?.effective ?? EMPTY_EFFECTIVE;
    },

    /** The newest compiled generation, for the data-plane runtime; null before any policy write. */
    async latestCompiled(): Promise<CompiledPolicy | null> {
      return (await store.latestGeneration())?.compiled ?? null;
    },

    /** A kept generation (compiled and effective) by number; null when it is not kept. */
    generation: (generation: number) => store.generation(generation),
    /** The generation numbers kept, oldest first. */
    generationNumbers: () => store.generationNumbers(),
    /** What the kept generations take in the database. */
    generationStorage: () => store.generationStorage(),
  };
}

/** "policy.x[0].y: message" (the form every check's error takes) as an issue at its path. */
function issueOf(message: string): PolicyIssue {
  const at = message.indexOf(': ');
  return at < 0 ? { path: 'policy', message } : { path: message.slice(0, at), message: message.slice(at + 2) };
}

export type PolicyService = ReturnType<typeof createPolicyService>;
