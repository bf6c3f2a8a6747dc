/**
 * The firewall part's service: AiFw's rules, aliases, schedules, NAT and geo-IP (stored as AiFw shapes them),
 * the compile and apply of the ruleset, the schedule timer and url_table refreshes. Writes only touch the database
 * and mark pending (AiFw's model); the apply step (POST /api/v1/reload) compiles and applies. HTTP-free.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import type { Core } from '../../../core/index.js';
import { errors, RampartError } from '../../../core/errors.js';
import { EDGE_CHANGED, type ConfigSection, type EdgeChange, type EdgeHooks, type PendingKind } from '../edge.types.js';
import { NftApplier, type ApplyOutcome } from './apply.js';
import { byCreated, byRuleOrder, compile, createCompileCache, fullScript, natTableText, systemRules, type Compiled, type CompileInput } from './compile.js';
import {
  familyOf, parseAction, parseAddress, parseAliasEntries, parseAliasName, parseAliasType, parseCidr, parseCountry, parseDirection,
  parseInterface, parseLabel, parseNatType, parseText, parseProtocol, parseRange, parseStatus, parseTracking, parseUrlTableText, tableOf,
  type Alias, type GeoRule, type NatRule, type Rule, type Schedule,
} from './firewall.model.js';
import { createFirewallStore, type ObjectKind } from './firewall.store.js';
import { createGeoDb, type GeoDb } from './geoip.js';
import { isTimeZone, parseDays, parseTimeRanges, scheduleActive } from './schedule.js';

export const URL_TABLE_JOB = 'edge.fw.url_table';
type Body = Record<string, unknown>;

interface Snapshot {
  rules: Rule[];
  aliases: Alias[];
  nat: NatRule[];
  geoip: GeoRule[];
  schedules: Schedule[];
  blockLogging: boolean;
}

export interface FirewallOptions {
  /** nft command (a prefix such as `ip netns exec NS nft` in tests). */
  nft?: string[];
}

export function createFirewallService(core: Core, hooks: EdgeHooks, opts: FirewallOptions = {}) {
  const store = createFirewallStore(core.db);
  const cfg = core.config.edge;
  const dataplane = core.config.dataplane.enabled;
  const applier = new NftApplier(opts.nft);
  const geo: GeoDb = createGeoDb(cfg.geoip_csv);
  const iso = () => core.now().toISOString();

  // ---- the firewall's clock: core.now, moved by the test-only offset file ----
  let offsetMs = 0;
  let offsetMtime = -1;
  function readOffset(): void {
    if (!cfg.clock_offset_file) return;
    try {
      const st = statSync(cfg.clock_offset_file);
      if (st.mtimeMs === offsetMtime) return;
      offsetMtime = st.mtimeMs;
      const n = Number(readFileSync(cfg.clock_offset_file, 'utf8').trim());
      offsetMs = Number.isFinite(n) ? n : 0;
    } catch {
      offsetMs = 0;
    }
  }
  const clock = () => {
    readOffset();
    return new Date(core.now().getTime() + offsetMs);
  };
  const timezone = () => (cfg.timezone && isTimeZone(cfg.timezone) ? cfg.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone);

  // ---- writes: pending + edge.changed ----
  /** actor: who wrote (the principal's name), recorded as the config version's created_by. */
  async function changed(section: string, comment: string, actor?: string): Promise<void> {
    const pending: PendingKind[] = [section === 'nat' ? 'nat' : 'firewall'];
    await hooks.markPending(pending);
    await core.events.publish<EdgeChange>(EDGE_CHANGED, { section, comment, pending, ...(actor ? { actor } : {}) });
  }

  async function load(): Promise<Snapshot> {
    const [rules, aliases, nat, geoip, schedules, blockLogging] = await Promise.all([
      store.list<Rule>('rule'), store.list<Alias>('alias'), store.list<NatRule>('nat'), store.list<GeoRule>('geoip'),
      store.list<Schedule>('schedule'), store.setting<boolean>('block_logging', true),
    ]);
    return { rules, aliases, nat, geoip, schedules, blockLogging };
  }

  function activeSchedules(s: Snapshot, at: Date): Set<string> {
    const zone = timezone();
    return new Set(s.schedules.filter((x) => scheduleActive(x, at, zone)).map((x) => x.id));
  }

  function managementPorts(): number[] {
    const listen = core.config.server.listen;
    const m = /:(\d+)$/.exec(listen);
    return listen.startsWith('unix:') || !m ? [] : [Number(m[1])];
  }

  // Rules and aliases compiled before are reused while their content is the same (a reload after one change
  // recompiles that one; the applier then sends only what differs).
  const compileCache = createCompileCache();
  function compileSnapshot(s: Snapshot, active: Set<string>): Compiled {
    const input: CompileInput = {
      rules: s.rules, aliases: s.aliases, nat: s.nat, geoip: s.geoip, activeSchedules: active, blockLogging: s.blockLogging,
      countryNetworks: (c) => geo.networks(c), managementPorts: managementPorts(), cache: compileCache,
    };
    return compile(input);
  }

  // ---- apply ----
  let applied: { snapshot: Snapshot; active: Set<string>; compiled: Compiled } | null = null;
  /** The script of the last apply, rendered when asked for (3 MB for a large ruleset: not on every apply). */
  let lastScript: { compiled: Compiled; text: string | null } | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  /** One apply at a time, in order (reload, a schedule boundary, a url_table refresh). */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };

  async function applyCompiled(snapshot: Snapshot, active: Set<string>): Promise<ApplyOutcome> {
    const compiled = compileSnapshot(snapshot, active);
    let outcome: ApplyOutcome;
    if (dataplane) {
      outcome = await applier.apply(compiled).catch((err) => {
        applier.reset();
        throw new RampartError({ code: 'apply_failed', status: 500, message: `nft refused the ruleset; the running one is unchanged: ${(err as Error).message}`, cause: err });
      });
    } else {
      await applier.check(compiled).catch((err) => {
        throw new RampartError({ code: 'apply_failed', status: 500, message: `nft -c refused the ruleset: ${(err as Error).message}`, cause: err });
      });
      outcome = { mode: 'full', statements: 0 };
    }
    if (dataplane && !applied) await store.setSetting('applied_to_host', true, core.now().toISOString());
    applied = { snapshot, active, compiled };
    lastScript = { compiled, text: null };
    return outcome;
  }

  /** The apply step run by reload: the stored configuration, with the schedules active now. */
  async function apply(): Promise<ApplyOutcome> {
    return serial(async () => {
      const snapshot = await load();
      return applyCompiled(snapshot, activeSchedules(snapshot, clock()));
    });
  }

  /** A schedule boundary (or a clock or zone change): re-render what was applied if the active set changed. */
  async function tick(): Promise<boolean> {
    return serial(async () => {
      if (!applied) return false;
      const active = activeSchedules(applied.snapshot, clock());
      const same = active.size === applied.active.size && [...active].every((id) => applied!.active.has(id));
      if (same) return false;
      await applyCompiled(applied.snapshot, active);
      core.logger.info({ active: [...active] }, 'edge firewall: schedule window boundary, ruleset re-rendered');
      return true;
    });
  }

  // ---- rules ----
  async function aliasNames(): Promise<Map<string, Alias>> {
    return new Map((await store.list<Alias>('alias')).map((a) => [a.name, a]));
  }

  /** known: aliases and schedule ids read once by a caller validating many rules (a section import). */
  async function ruleFrom(body: Body, existing: Rule | null, known?: { aliases: Map<string, Alias>; schedules: Set<string> }): Promise<Rule> {
    const now = iso();
    const src = parseAddress(body.src_addr, 'src_addr');
    const dst = parseAddress(body.dst_addr, 'dst_addr');
    const action = parseAction(body.action);
    const rule: Rule = {
      id: existing?.id ?? randomUUID(),
      priority: body.priority === undefined || body.priority === null ? (existing?.priority ?? 100) : intIn(body.priority, 'priority', -1_000_000, 1_000_000),
      action,
      direction: parseDirection(body.direction),
      ip_version: 'both',
      interface: parseInterface(body.interface),
      protocol: parseProtocol(body.protocol ?? 'any'),
      rule_match: { src_addr: src.addr, src_port: parseRange(body.src_port_start, body.src_port_end, 'src_port'), dst_addr: dst.addr, dst_port: parseRange(body.dst_port_start, body.dst_port_end, 'dst_port') },
      src_invert: src.invert || body.src_invert === true,
      dst_invert: dst.invert || body.dst_invert === true,
      log: bool(body.log, false, 'log'),
      quick: bool(body.quick, true, 'quick'),
      label: parseLabel(body.label),
      description: parseText(body.description, 'description') ?? existing?.description ?? null,
      gateway: null,
      state_options: { tracking: parseTracking(body.state_tracking ?? 'keep_state'), policy: null, adaptive_timeouts: null, timeout_tcp: null, timeout_udp: null, timeout_icmp: null },
      status: existing ? parseStatus(body.status, existing.status) : 'active',
      schedule_id: body.schedule_id === undefined || body.schedule_id === null || body.schedule_id === '' ? null : String(body.schedule_id),
      src_port_alias: body.src_port_alias ? parseAliasName(body.src_port_alias) : null,
      dst_port_alias: body.dst_port_alias ? parseAliasName(body.dst_port_alias) : null,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    rule.ip_version = ipVersionOf(rule);
    const scheduleKnown = known ? known.schedules.has(rule.schedule_id ?? '') : !!(rule.schedule_id && (await store.get('schedule', rule.schedule_id)));
    if (rule.schedule_id && !scheduleKnown) throw errors.validation(`unknown schedule_id ${rule.schedule_id}`);
    // Compiling the rule alone checks what nftables can express (ports need tcp/udp, aliases exist and fit).
    const aliases = known?.aliases ?? (await aliasNames());
    const named = [tableOf(rule.rule_match.src_addr), tableOf(rule.rule_match.dst_addr), rule.src_port_alias, rule.dst_port_alias];
    compile({ rules: [rule], aliases: [...aliases.values()].filter((a) => named.includes(a.name)), nat: [], geoip: [], activeSchedules: new Set(), blockLogging: false, countryNetworks: () => [], managementPorts: [] });
    return rule;
  }

  const rules = {
    async list(): Promise<Rule[]> {
      return (await store.list<Rule>('rule')).sort(byRuleOrder);
    },
    async get(id: string): Promise<Rule> {
      return (await store.get<Rule>('rule', id)) ?? notFound('rule');
    },
    async create(body: Body, actor?: string): Promise<Rule> {
      const rule = await ruleFrom(body, null);
      await store.insert('rule', rule);
      await changed('rules', 'POST /api/v1/rules', actor);
      return rule;
    },
    async update(id: string, body: Body, actor?: string): Promise<Rule> {
      const existing = await rules.get(id);
      const rule = await ruleFrom(body, existing);
      await store.update('rule', rule);
      await changed('rules', `PUT /api/v1/rules/${id}`, actor);
      return rule;
    },
    async remove(id: string, actor?: string): Promise<void> {
      if (!(await store.remove('rule', id))) notFound('rule');
      await changed('rules', `DELETE /api/v1/rules/${id}`, actor);
    },
    /** AiFw: priority = index of each listed rule; unlisted rules keep theirs. */
    async reorder(ids: string[], actor?: string): Promise<void> {
      if (new Set(ids).size !== ids.length) throw errors.validation('rule_ids must not repeat');
      const all = new Map((await store.list<Rule>('rule')).map((r) => [r.id, r]));
      const missing = ids.filter((id) => !all.has(id));
      if (missing.length) throw errors.notFound(`no rule ${missing[0]}`);
      const now = iso();
      for (const [i, id] of ids.entries()) await store.update('rule', { ...all.get(id)!, priority: i, updated_at: now });
      await changed('rules', 'PUT /api/v1/rules/reorder', actor);
    },
    async system(): Promise<Array<{ id: string; chain: string; rule: string; description: string }>> {
      const blockLogging = await store.setting('block_logging', true);
      const sys = systemRules({ managementPorts: managementPorts(), blockLogging });
      const rows = [
        ...sys.input.map((r) => ({ chain: 'input', rule: r })), ...sys.inputTail.map((r) => ({ chain: 'input', rule: r })),
        ...sys.fwdIn.map((r) => ({ chain: 'forward (in)', rule: r })), ...sys.fwdInTail.map((r) => ({ chain: 'forward (in)', rule: r })),
        ...[...sys.out, ...sys.outTail].map((r) => ({ chain: 'forward (out), output', rule: r })), { chain: 'forward (out), output', rule: 'accept (policy)' },
      ];
      return rows.map((r, i) => ({ id: `system-${i + 1}`, ...r, description: describeSystem(r.rule) }));
    },
    blockLogging: () => store.setting<boolean>('block_logging', true),
    async setBlockLogging(enabled: boolean, actor?: string): Promise<void> {
      await store.setSetting('block_logging', enabled, iso());
      await changed('rules', 'PUT /api/v1/rules/block-logging', actor);
    },
  };

  // ---- aliases ----
  function aliasFrom(body: Body, existing: Alias | null): Alias {
    const now = iso();
    const type = parseAliasType(body.alias_type);
    const entries = parseAliasEntries(type, body.entries);
    const keepResolved = existing && existing.alias_type === 'url_table' && type === 'url_table' && existing.entries.join() === entries.join();
    return {
      id: existing?.id ?? randomUUID(),
      name: parseAliasName(body.name),
      alias_type: type,
      entries,
      description: parseText(body.description, 'description'),
      enabled: bool(body.enabled, true, 'enabled'),
      resolved: keepResolved ? existing!.resolved : [],
      last_fetched_at: keepResolved ? existing!.last_fetched_at : null,
      last_error: keepResolved ? existing!.last_error : null,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
  }

  async function usersOf(name: string): Promise<string[]> {
    const [rs, ns] = await Promise.all([store.list<Rule>('rule'), store.list<NatRule>('nat')]);
    return [
      ...rs.filter((r) => [tableOf(r.rule_match.src_addr), tableOf(r.rule_match.dst_addr), r.src_port_alias, r.dst_port_alias].includes(name)).map((r) => `rule ${r.id}`),
      ...ns.filter((n) => [tableOf(n.src_addr), tableOf(n.dst_addr)].includes(name)).map((n) => `nat ${n.id}`),
    ];
  }

  async function saveAlias(alias: Alias, existing: Alias | null): Promise<void> {
    try {
      if (existing) await store.update('alias', alias, alias.name);
      else await store.insert('alias', alias, alias.name);
    } catch (err) {
      if (core.db.dialect.isUniqueViolation(err)) throw errors.conflict(`an alias named ${alias.name} exists`);
      throw err;
    }
  }

  const aliases = {
    async list(): Promise<Alias[]> {
      return (await store.list<Alias>('alias')).sort((a, b) => a.name.localeCompare(b.name));
    },
    async get(id: string): Promise<Alias> {
      return (await store.get<Alias>('alias', id)) ?? notFound('alias');
    },
    async create(body: Body, actor?: string): Promise<Alias> {
      const alias = aliasFrom(body, null);
      await saveAlias(alias, null);
      if (alias.alias_type === 'url_table') await core.jobs.queue.enqueue(URL_TABLE_JOB, { alias_id: alias.id });
      await changed('aliases', 'POST /api/v1/aliases', actor);
      return alias;
    },
    async update(id: string, body: Body, actor?: string): Promise<Alias> {
      const existing = await aliases.get(id);
      const alias = aliasFrom(body, existing);
      if (alias.name !== existing.name || alias.alias_type !== existing.alias_type) {
        const users = await usersOf(existing.name);
        if (users.length) throw errors.conflict(`alias ${existing.name} is used by ${users.join(', ')}: its name and type cannot change`);
      }
      await saveAlias(alias, existing);
      if (alias.alias_type === 'url_table' && !alias.last_fetched_at) await core.jobs.queue.enqueue(URL_TABLE_JOB, { alias_id: alias.id });
      await changed('aliases', `PUT /api/v1/aliases/${id}`, actor);
      return alias;
    },
    async remove(id: string, actor?: string): Promise<void> {
      const existing = await aliases.get(id);
      const users = await usersOf(existing.name);
      if (users.length) throw errors.conflict(`alias ${existing.name} is used by ${users.join(', ')}`);
      await store.remove('alias', id);
      await changed('aliases', `DELETE /api/v1/aliases/${id}`, actor);
    },
    /** Fetches a url_table alias's URLs and keeps every address and network they list (the job's work). */
    async refresh(id: string, signal?: AbortSignal): Promise<Alias | null> {
      const alias = await store.get<Alias>('alias', id);
      if (!alias || alias.alias_type !== 'url_table') return null;
      const found = new Set<string>();
      let error: string | null = null;
      for (const url of alias.entries) {
        try {
          const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          const text = await res.text();
          for (const cidr of parseUrlTableText(text)) found.add(cidr);
        } catch (err) {
          error = `${url}: ${(err as Error).message}`;
        }
      }
      // A failed fetch keeps what the alias had: an outage of the list's server must not open or close the firewall.
      const current = (await store.get<Alias>('alias', id)) ?? alias;
      const next: Alias = error && found.size === 0
        ? { ...current, last_error: error }
        : { ...current, resolved: [...found], last_fetched_at: iso(), last_error: error };
      await store.update('alias', next, next.name);
      if (applied && next.enabled && next.resolved.join() !== current.resolved.join()) {
        // A refreshed list applies at once where the ruleset runs (AiFw reloads tables on refresh).
        await serial(async () => {
          if (!applied) return;
          const snapshot = { ...applied.snapshot, aliases: applied.snapshot.aliases.map((a) => (a.id === id ? next : a)) };
          await applyCompiled(snapshot, applied.active);
        });
      }
      return next;
    },
    async refreshAllDue(): Promise<void> {
      const due = core.now().getTime() - cfg.url_table_refresh_minutes * 60_000;
      for (const a of await store.list<Alias>('alias')) {
        if (a.alias_type === 'url_table' && a.enabled && (!a.last_fetched_at || Date.parse(a.last_fetched_at) <= due)) {
          await core.jobs.queue.enqueue(URL_TABLE_JOB, { alias_id: a.id });
        }
      }
    },
  };

  // ---- schedules ----
  function scheduleFrom(body: Body, existing: Schedule | null): Schedule {
    const now = iso();
    if (typeof body.name !== 'string' || !body.name.trim()) throw errors.validation('name is required');
    return {
      id: existing?.id ?? randomUUID(),
      name: parseText(body.name.trim(), 'name')!,
      description: parseText(body.description, 'description'),
      time_ranges: parseTimeRanges(body.time_ranges),
      days_of_week: parseDays(body.days_of_week),
      enabled: bool(body.enabled, true, 'enabled'),
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
  }

  const schedules = {
    async list(): Promise<Schedule[]> {
      return store.list<Schedule>('schedule');
    },
    async get(id: string): Promise<Schedule> {
      return (await store.get<Schedule>('schedule', id)) ?? notFound('schedule');
    },
    async create(body: Body, actor?: string): Promise<Schedule> {
      const s = scheduleFrom(body, null);
      await store.insert('schedule', s);
      await changed('schedules', 'POST /api/v1/schedules', actor);
      return s;
    },
    async update(id: string, body: Body, actor?: string): Promise<Schedule> {
      const s = scheduleFrom(body, await schedules.get(id));
      await store.update('schedule', s);
      await changed('schedules', `PUT /api/v1/schedules/${id}`, actor);
      return s;
    },
    /** AiFw: deleting a schedule unlinks the rules using it. */
    async remove(id: string, actor?: string): Promise<void> {
      await schedules.get(id);
      for (const r of await store.list<Rule>('rule')) if (r.schedule_id === id) await store.update('rule', { ...r, schedule_id: null, updated_at: iso() });
      await store.remove('schedule', id);
      await changed('schedules', `DELETE /api/v1/schedules/${id}`, actor);
    },
  };

  // ---- NAT ----
  async function natFrom(body: Body, existing: NatRule | null, aliasIndex?: Map<string, Alias>): Promise<NatRule> {
    const now = iso();
    const natType = parseNatType(body.nat_type);
    const src = parseAddress(body.src_addr, 'src_addr');
    const dst = parseAddress(body.dst_addr, 'dst_addr');
    if (src.invert || dst.invert) throw errors.validation('NAT addresses cannot be inverted');
    const redirectRaw = body.redirect_addr;
    // AiFw's UI sends "interface" for "the interface's address" (its parser reads it as any): masquerade, or an snat
    // to the outgoing interface's address.
    const toInterface = redirectRaw === undefined || redirectRaw === null || (typeof redirectRaw === 'string' && /^\s*(|any|interface|interface address)\s*$/i.test(redirectRaw));
    let redirect = 'any';
    if (toInterface) {
      if (natType === 'dnat' || natType === 'binat') throw errors.validation(`redirect_addr is required for ${natType}: the address to translate to`);
    } else {
      if (typeof redirectRaw !== 'string') throw errors.validation('redirect_addr must be an address');
      redirect = parseCidr(redirectRaw);
      if (redirect.includes('/')) throw errors.validation('redirect_addr must be a single address');
    }
    const addrs = [src.addr, dst.addr, redirect].filter((a) => a !== 'any' && !tableOf(a));
    if (addrs.some((a) => familyOf(a) === 6)) throw errors.validation('IPv6 NAT is not supported: Rampart translates IPv4 (table ip rampart_edge_nat)');
    if (natType === 'binat' && (src.addr === 'any' || tableOf(src.addr) || src.addr.includes('/'))) throw errors.validation('binat needs src_addr: the internal host address');
    const rule: NatRule = {
      id: existing?.id ?? randomUUID(),
      nat_type: natType,
      interface: parseInterface(body.interface, true)!,
      protocol: parseProtocol(body.protocol ?? 'any'),
      src_addr: src.addr,
      src_port: parseRange(body.src_port_start, body.src_port_end, 'src_port'),
      dst_addr: dst.addr,
      dst_port: parseRange(body.dst_port_start, body.dst_port_end, 'dst_port'),
      redirect: { address: redirect, port: parseRange(body.redirect_port_start, body.redirect_port_end, 'redirect_port') },
      label: parseLabel(body.label),
      status: parseStatus(body.status, existing?.status ?? 'active'),
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    const ports = rule.src_port || rule.dst_port || rule.redirect.port;
    if (ports && !['tcp', 'udp', 'tcp/udp'].includes(rule.protocol)) throw errors.validation('ports need protocol tcp, udp or tcp/udp');
    const known = aliasIndex ?? (await aliasNames());
    for (const a of [src.addr, dst.addr]) {
      const t = tableOf(a);
      if (t && (!known.has(t) || known.get(t)!.alias_type === 'port')) throw errors.validation(`unknown address alias ${t}`);
    }
    return rule;
  }

  const nat = {
    async list(): Promise<NatRule[]> {
      return (await store.list<NatRule>('nat')).sort(byCreated);
    },
    async get(id: string): Promise<NatRule> {
      return (await store.get<NatRule>('nat', id)) ?? notFound('NAT rule');
    },
    async create(body: Body, actor?: string): Promise<NatRule> {
      const rule = await natFrom(body, null);
      await store.insert('nat', rule);
      await changed('nat', 'POST /api/v1/nat', actor);
      return rule;
    },
    async update(id: string, body: Body, actor?: string): Promise<NatRule> {
      const rule = await natFrom(body, await nat.get(id));
      await store.update('nat', rule);
      await changed('nat', `PUT /api/v1/nat/${id}`, actor);
      return rule;
    },
    async remove(id: string, actor?: string): Promise<void> {
      if (!(await store.remove('nat', id))) notFound('NAT rule');
      await changed('nat', `DELETE /api/v1/nat/${id}`, actor);
    },
    /** AiFw: NAT order is created_at; reorder rewrites it (the listed rules first, in the order given). */
    async reorder(ids: string[], actor?: string): Promise<void> {
      if (new Set(ids).size !== ids.length) throw errors.validation('rule_ids must not repeat');
      const all = new Map((await store.list<NatRule>('nat')).map((r) => [r.id, r]));
      const missing = ids.filter((id) => !all.has(id));
      if (missing.length) throw errors.notFound(`no NAT rule ${missing[0]}`);
      const rest = [...all.values()].filter((r) => !ids.includes(r.id)).sort(byCreated);
      const base = Date.parse('2000-01-01T00:00:00.000Z');
      const order = [...ids.map((id) => all.get(id)!), ...rest];
      for (const [i, r] of order.entries()) await store.update('nat', { ...r, created_at: new Date(base + i * 1000).toISOString() });
      await changed('nat', 'PUT /api/v1/nat/reorder', actor);
    },
    /** The NAT table as the stored rules compile to it now. */
    async pfOutput(): Promise<string> {
      const snapshot = await load();
      return natTableText(compileSnapshot(snapshot, activeSchedules(snapshot, clock())));
    },
  };

  // ---- geo-IP ----
  function geoFrom(body: Body, existing: GeoRule | null): GeoRule {
    const now = iso();
    const action = typeof body.action === 'string' ? body.action.toLowerCase() : '';
    if (!['allow', 'block', 'pass', 'deny'].includes(action)) throw errors.validation('action must be allow or block');
    return {
      id: existing?.id ?? randomUUID(),
      country: parseCountry(body.country_code ?? body.country),
      action: action === 'allow' || action === 'pass' ? 'allow' : 'block',
      label: parseLabel(body.label),
      status: parseStatus(body.status, existing?.status ?? 'active'),
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
  }

  const geoip = {
    list: async () => (await store.list<GeoRule>('geoip')).sort(byCreated),
    async get(id: string): Promise<GeoRule> {
      return (await store.get<GeoRule>('geoip', id)) ?? notFound('geo-IP rule');
    },
    async create(body: Body, actor?: string): Promise<GeoRule> {
      const g = geoFrom(body, null);
      await store.insert('geoip', g);
      await changed('geoip', 'POST /api/v1/geoip', actor);
      return g;
    },
    async update(id: string, body: Body, actor?: string): Promise<GeoRule> {
      const g = geoFrom(body, await geoip.get(id));
      await store.update('geoip', g);
      await changed('geoip', `PUT /api/v1/geoip/${id}`, actor);
      return g;
    },
    async remove(id: string, actor?: string): Promise<void> {
      if (!(await store.remove('geoip', id))) notFound('geo-IP rule');
      await changed('geoip', `DELETE /api/v1/geoip/${id}`, actor);
    },
    lookup(ip: string): { ip: string; country: string | null; network: string | null } {
      const addr = parseCidr(ip);
      if (addr.includes('/')) throw errors.validation('an IP address, not a network');
      return { ip: addr, ...geo.lookup(addr) };
    },
  };

  // ---- configuration sections (snapshots, restore) ----
  type Known = { aliases: Map<string, Alias>; schedules: Set<string> };
  function section(name: string, kind: ObjectKind, parse: (row: Body, known: Known) => Promise<{ id: string; created_at: string; updated_at: string; name?: string }>): ConfigSection {
    return {
      name,
      export: async () => (await store.list<Body>(kind)).sort((a, b) => String(a.id).localeCompare(String(b.id))),
      async import(data: unknown) {
        if (!Array.isArray(data)) throw errors.validation(`section ${name} must be an array`);
        await core.db.transaction(async () => {
          await store.removeAll(kind);
          const known: Known = { aliases: await aliasNames(), schedules: new Set((await store.list<Schedule>('schedule')).map((x) => x.id)) };
          for (const row of data) {
            if (!row || typeof row !== 'object') throw errors.validation(`section ${name}: rows must be objects`);
            const parsed = await parse(row as Body, known);
            await store.insert(kind, parsed, kind === 'alias' || kind === 'schedule' ? (parsed.name ?? null) : null);
          }
        });
      },
    };
  }
  /** A stored row back through the API's validation, keeping its id and times. */
  const keep = <T extends { id: string; created_at: string; updated_at: string }>(row: Body, made: T): T => ({
    ...made, id: String(row.id ?? made.id), created_at: String(row.created_at ?? made.created_at), updated_at: String(row.updated_at ?? made.updated_at),
  });
  const ruleBody = (r: Body): Body => {
    const m = (r.rule_match ?? {}) as Body;
    const sp = m.src_port as { start: number; end: number } | null;
    const dp = m.dst_port as { start: number; end: number } | null;
    return {
      ...r, src_addr: m.src_addr, dst_addr: m.dst_addr, src_port_start: sp?.start, src_port_end: sp?.end, dst_port_start: dp?.start, dst_port_end: dp?.end,
      state_tracking: (r.state_options as Body | undefined)?.tracking,
    };
  };
  const natBody = (n: Body): Body => {
    const sp = n.src_port as { start: number; end: number } | null;
    const dp = n.dst_port as { start: number; end: number } | null;
    const rd = (n.redirect ?? {}) as { address?: string; port?: { start: number; end: number } | null };
    return {
      ...n, src_port_start: sp?.start, src_port_end: sp?.end, dst_port_start: dp?.start, dst_port_end: dp?.end,
      redirect_addr: rd.address, redirect_port_start: rd.port?.start, redirect_port_end: rd.port?.end,
    };
  };
  const sections: ConfigSection[] = [
    section('aliases', 'alias', async (row) => {
      const a = keep(row, aliasFrom(row, null));
      return { ...a, resolved: Array.isArray(row.resolved) ? parseAliasEntries('network', row.resolved) : [] };
    }),
    section('schedules', 'schedule', async (row) => keep(row, scheduleFrom(row, null))),
    section('rules', 'rule', async (row, known) => {
      const r = keep(row, await ruleFrom(ruleBody(row), null, known));
      return { ...r, status: parseStatus(row.status, 'active') };
    }),
    section('nat', 'nat', async (row, known) => keep(row, await natFrom(natBody(row), null, known.aliases))),
    section('geoip', 'geoip', async (row) => keep(row, geoFrom(row, null))),
  ];

  // ---- background: the schedule timer, url_table refreshes ----
  function start(): { stop(): Promise<void> } {
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const arm = () => {
      if (stopped) return;
      // At the next minute of the firewall's clock: every window boundary is on a minute.
      const ms = 60_000 - (clock().getTime() % 60_000) + 5;
      timer = setTimeout(() => void tick().catch((err) => core.logger.error({ err }, 'edge firewall: schedule re-render failed')).finally(arm), ms);
      timer.unref();
    };
    // The ruleset runs from boot, as AiFw's daemon loads it on start, once it has been applied here at all: a box
    // whose edge was never set up (an egress gateway, say) keeps its traffic until the first reload.
    if (dataplane) {
      void store
        .setting('applied_to_host', false)
        .then((before) => (before ? apply() : undefined))
        .catch((err) => core.logger.error({ err }, 'edge firewall: initial apply failed'));
    }
    arm();
    if (cfg.clock_offset_file) {
      watchFile(cfg.clock_offset_file, { interval: 100 }, () => {
        clearTimeout(timer);
        void tick().catch((err) => core.logger.error({ err }, 'edge firewall: schedule re-render failed')).finally(arm);
      });
    }
    const refresher = setInterval(() => void aliases.refreshAllDue().catch((err) => core.logger.warn({ err }, 'url_table refresh failed')), 60_000);
    refresher.unref();
    void aliases.refreshAllDue().catch(() => {});
    return {
      async stop() {
        stopped = true;
        clearTimeout(timer);
        clearInterval(refresher);
        if (cfg.clock_offset_file) unwatchFile(cfg.clock_offset_file);
        await queue;
      },
    };
  }

  async function counts() {
    const [rs, ns] = await Promise.all([store.list<Rule>('rule'), store.list<NatRule>('nat')]);
    return { rules: rs.length, active_rules: rs.filter((r) => r.status === 'active').length, nat_rules: ns.length };
  }

  return {
    rules, aliases, schedules, nat, geoip, sections, apply, tick, start, counts, clock,
    hostApplied: () => store.setting('applied_to_host', false),
    /** The script of the last apply (or check), for inspection. */
    lastScript: () => {
      if (!lastScript) return '';
      lastScript.text ??= fullScript(lastScript.compiled);
      return lastScript.text;
    },
    compileStored: async () => {
      const s = await load();
      return compileSnapshot(s, activeSchedules(s, clock()));
    },
  };
}

export type FirewallService = ReturnType<typeof createFirewallService>;

function notFound(what: string): never {
  throw errors.notFound(`${what} not found`);
}

function bool(v: unknown, fallback: boolean, what: string): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw errors.validation(`${what} must be true or false`);
  return v;
}

function intIn(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw errors.validation(`${what} must be an integer ${min}..${max}`);
  return v;
}

function ipVersionOf(r: Rule): Rule['ip_version'] {
  const fams = [r.rule_match.src_addr, r.rule_match.dst_addr].filter((a) => a !== 'any' && !tableOf(a)).map(familyOf);
  if (r.protocol === 'icmp') fams.push(4);
  if (r.protocol === 'icmp6') fams.push(6);
  const set = new Set(fams);
  if (set.size > 1) throw errors.validation('a rule cannot mix IPv4 and IPv6 addresses');
  return set.has(4) ? 'inet' : set.has(6) ? 'inet6' : 'both';
}

function describeSystem(rule: string): string {
  if (rule.startsWith('iif "lo"')) return 'loopback passes';
  if (rule.startsWith('ct state established')) return 'packets of connections a stateful pass admitted (state) pass';
  if (rule.startsWith('ct mark set')) return 'what passes outbound keeps state (pass out keep state)';
  if (rule.startsWith('ct state invalid')) return 'invalid packets are dropped';
  if (rule.startsWith('icmp')) return 'ping and IPv6 neighbour discovery pass';
  if (rule.startsWith('tcp dport')) return "Rampart's own API stays reachable";
  if (rule.includes('drop')) return 'default deny inbound (block policy drop)';
  return 'default pass outbound';
}
