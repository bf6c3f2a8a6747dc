import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { EdgeHooks } from '../edge.types.js';
import { startAutoSave } from './auto-save.js';
import { createCommitConfirm } from './commit-confirm.js';
import { translateOpnsense } from './opnsense.js';
import { createS3Backups } from './s3-backup.js';
import { AIFW_ONLY_KEYS, applyInterfaceMap, dropCounts, interfaceRefs, type InterfaceMap, type Snapshot } from './snapshot.js';
import { createVersions } from './versions.js';

/** OPNsense imports arm this window (AiFw's) unless asked not to. */
export const OPNSENSE_CONFIRM_SECS = 600;

export interface PresentInterface {
  name: string;
  mac: string | null;
  ipv4: string | null;
  ipv6: string | null;
  ipv4_mode: string | null;
  status: string;
}

/**
 * The config part: versions, commit-confirm, S3 backups, the OPNsense import. It snapshots and restores the edge
 * through the sections the other parts register (EdgeHooks.sections) and applies through their ApplySteps.
 */
export function createEdgeConfig(core: Core, hooks: EdgeHooks) {
  const versions = createVersions(core, hooks);
  const commitConfirm = createCommitConfirm(core, versions);
  const s3 = createS3Backups(core);

  // Every saved version goes to S3 while backups are enabled, in the background (a failure is logged and audited).
  versions.onSaved((version, snapshot, createdAt) => {
    void s3.autoUpload(version, createdAt, snapshot).catch((err) => core.logger.warn({ err }, 'S3 auto-upload failed'));
  });

  const autoSave = startAutoSave(core, versions);

  /** The box's interfaces: the network part's, else the kernel's as Node sees them. */
  async function presentInterfaces(): Promise<PresentInterface[]> {
    const fromHook = await hooks.interfaces();
    if (fromHook.length > 0) {
      return fromHook.map((i) => ({
        name: i.name, mac: null, ipv4: i.addresses.find((a) => !a.includes(':')) ?? null, ipv6: i.addresses.find((a) => a.includes(':')) ?? null,
        ipv4_mode: null, status: 'up',
      }));
    }
    return Object.entries(networkInterfaces()).map(([name, addrs]) => ({
      name, mac: addrs?.[0]?.mac ?? null, ipv4: addrs?.find((a) => a.family === 'IPv4')?.cidr ?? null,
      ipv6: addrs?.find((a) => a.family === 'IPv6')?.cidr ?? null, ipv4_mode: null, status: 'up',
    }));
  }

  function suggest(missing: string, present: PresentInterface[]): string | null {
    const physical = present.filter((i) => !/^(lo|pflog|pfsync|enc)/.test(i.name));
    const base = missing.replace(/\d+$/, '');
    return (base && physical.find((i) => i.name.startsWith(base))?.name) || physical[0]?.name || null;
  }

  /** AiFw's ImportPreview: which interfaces the snapshot names, which this box lacks, and what would be dropped. */
  async function preview(snapshot: Snapshot, map: InterfaceMap = {}) {
    const present = await presentInterfaces();
    const names = new Set(present.map((i) => i.name));
    const refs = interfaceRefs(snapshot);
    const missing = refs.filter((r) => !names.has(r) && !(Object.hasOwn(map, r) && map[r] && names.has(map[r]!)));
    const drops = dropCounts(snapshot, new Set(missing));
    return {
      interfaces_found: refs,
      interfaces_missing: missing,
      interfaces_present: present,
      suggestions: Object.fromEntries(missing.flatMap((m) => {
        const s = suggest(m, present);
        return s ? [[m, s]] : [];
      })),
      drop_summary_if_unmapped: { rules: drops.rules ?? 0, nat: drops.nat ?? 0, wireguard: 0, carp: 0, queues: 0, rate_limits: 0, pfsync: false, ...drops },
      secrets: { state: 'plain' },
      unresolved_secrets: [] as string[],
    };
  }

  /** AiFw's config check over the sections in their AiFw field names: errors, warnings, info. */
  async function check() {
    const snapshot = await versions.snapshot();
    const errs: string[] = [];
    const warnings: string[] = [];
    const info: string[] = [];
    const arr = (name: string) => (Array.isArray(snapshot[name]) ? (snapshot[name] as Record<string, unknown>[]) : []);
    for (const name of versions.sectionNames()) {
      const value = snapshot[name];
      if (Array.isArray(value)) info.push(`${value.length} ${name.replace(/_/g, ' ')} configured`);
    }
    const isAny = (v: unknown) => v === undefined || v === null || v === '' || v === 'any' || v === '*';
    // Rules as the firewall exports them (rule_match nested, AiFw's Rule) or flat (AiFw's RuleConfig in a file).
    const rules = arr('rules').map((r): Record<string, any> => {
      const m = (r.rule_match ?? {}) as Record<string, any>;
      return { ...r, src_addr: m.src_addr ?? r.src_addr, dst_addr: m.dst_addr ?? r.dst_addr, dst_port_start: m.dst_port?.start ?? r.dst_port_start ?? null };
    });
    const nats = arr('nat').map((n): Record<string, any> => ({ ...n, redirect_addr: (n.redirect as any)?.address ?? n.redirect_addr, redirect_port_start: (n.redirect as any)?.port?.start ?? n.redirect_port_start, dst_port_start: (n.dst_port as any)?.start ?? n.dst_port_start }));
    for (const rule of rules) {
      if (rule.action === 'pass' && rule.status !== 'disabled' && isAny(rule.src_addr) && isAny(rule.dst_addr) && (rule.dst_port_start ?? null) === null && !rule.dst_port_alias) {
        warnings.push(`Rule '${String(rule.label ?? String(rule.id ?? '').slice(0, 8))}' passes all traffic (any -> any, no port restriction)`);
      }
    }
    if (hooks.sections.some((s) => s.name === 'rules') && rules.length === 0) {
      warnings.push('No firewall rules configured — all traffic may be blocked or allowed by default');
    }
    const seen = new Set<string>();
    for (const n of nats) {
      const key = `${n.interface}|${n.protocol}|${n.redirect_addr}|${n.redirect_port_start}|${n.dst_port_start}`;
      if (n.nat_type === 'dnat' && seen.has(key)) warnings.push(`Possible duplicate NAT forward on ${String(n.interface)}`);
      seen.add(key);
    }
    if (hooks.sections.some((s) => s.name === 'aliases')) {
      const aliasNames = new Set(arr('aliases').map((a) => a.name));
      for (const [section, entries] of [['rules', rules], ['nat', nats]] as const) {
        for (const entry of entries) {
          for (const field of ['src_addr', 'dst_addr', 'redirect_addr']) {
            const m = typeof entry[field] === 'string' ? /^!?<([^>]+)>$/.exec(entry[field] as string) : null;
            if (m && !aliasNames.has(m[1])) errs.push(`${section === 'rules' ? 'Rule' : 'NAT rule'} '${String(entry.label ?? entry.id)}' refers to alias '${m[1]}', which does not exist`);
          }
        }
      }
    }
    if (hooks.sections.some((s) => s.name === 'schedules')) {
      const scheduleIds = new Set(arr('schedules').map((s) => s.id));
      for (const rule of rules) {
        if (rule.schedule_id && !scheduleIds.has(rule.schedule_id)) errs.push(`Rule '${String(rule.label ?? rule.id)}' refers to schedule ${String(rule.schedule_id)}, which does not exist`);
      }
    }
    const present = new Set((await presentInterfaces()).map((i) => i.name));
    const vlanDevices = new Set(arr('vlans').map((v) => `${v.parent}.${v.vlan_id}`));
    for (const name of interfaceRefs(snapshot)) {
      if (!present.has(name) && !vlanDevices.has(name)) warnings.push(`Interface ${name} is referenced but not present on this box`);
    }
    const resolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
    const nameservers = resolv.split('\n').filter((l) => l.trim().startsWith('nameserver')).length;
    if (nameservers === 0) warnings.push('No DNS nameservers configured in /etc/resolv.conf');
    else info.push(`${nameservers} DNS nameserver(s) configured`);
    info.push(core.config.dataplane.enabled ? 'data plane enabled: applied changes reach the host' : 'data plane disabled: changes are compiled and validated, not applied to the host');
    const window = await commitConfirm.status();
    if (window.active) warnings.push(`A commit-confirm window is open (${window.description}): ${window.seconds_remaining} s left to confirm`);
    return { valid: errs.length === 0, errors: errs, warnings, info };
  }

  /** Imports a whole configuration (config/import): every section the file holds, all or nothing, then applied. */
  async function importConfig(value: unknown, map: InterfaceMap, extraRoutes: unknown[] | undefined, actor: string) {
    const { snapshot, ignored } = versions.validate(value);
    if (extraRoutes && !Object.hasOwn(snapshot, 'static_routes') && versions.sectionNames().includes('static_routes')) snapshot.static_routes = extraRoutes;
    const mapped = applyInterfaceMap(snapshot, map);
    const { sections } = await versions.replaceAndApply(mapped);
    const version = await versions.save(await versions.snapshot(), { createdBy: actor, comment: 'POST /api/v1/config/import', applied: true });
    const counts = sections.map((name) => `${Array.isArray(mapped[name]) ? (mapped[name] as unknown[]).length : 1} ${name.replace(/_/g, ' ')}`);
    return {
      message: `Imported: ${counts.length ? counts.join(', ') : 'nothing'}${ignored.length ? `; not imported (no such section on this box): ${ignored.join(', ')}` : ''}`,
      version,
      ignored,
    };
  }

  async function existingFor() {
    const snapshot = await versions.snapshot();
    const arr = (name: string) => (Array.isArray(snapshot[name]) ? (snapshot[name] as Record<string, unknown>[]) : []);
    const priorities = arr('rules').map((r) => Number(r.priority)).filter(Number.isFinite);
    return {
      snapshot,
      existingAliases: new Set(arr('aliases').map((a) => String(a.name))),
      existingVlans: new Set(arr('vlans').map((v) => `${v.parent}.${v.vlan_id}`)),
      lastPriority: priorities.length ? Math.max(...priorities) : 99,
    };
  }

  async function previewOpnsense(xml: string, interfaceMap: Record<string, string>) {
    const { existingAliases, existingVlans, lastPriority } = await existingFor();
    const t = translateOpnsense(xml, { interfaceMap, existingAliases, existingVlans, lastPriority });
    const present = (await presentInterfaces()).map((i) => i.name);
    const unsupported = Object.entries(t.sections).filter(([name, rows]) => rows.length > 0 && !versions.sectionNames().includes(name)).map(([name]) => name);
    return {
      valid: true,
      kind: t.kind,
      version: t.version,
      system: t.system,
      counts: t.counts,
      interfaces_found: t.interfaces_found,
      interfaces_system: present,
      interfaces_need_mapping: t.interfaces_found.some((i) => !present.includes(i) && !t.sections.vlans.some((v) => `${v.parent}.${v.vlan_id}` === i)),
      diff: t.diff,
      skipped: [...t.skipped, ...unsupported.map((name) => `${name}: no ${name.replace(/_/g, ' ')} section on this box yet; not imported`)],
      plan: t.plan,
      error: null,
    };
  }

  /**
   * AiFw's OPNsense import: the translation merged into the sections (all or nothing) and applied, a pre-import
   * version saved first, and (unless commit_confirm is false) a commit-confirm window armed with the pre-import
   * snapshot, so an import that cuts the operator off reverts by itself.
   */
  async function importOpnsense(input: { xml: string; interfaceMap: Record<string, string>; commitConfirm: boolean; importSystemSettings: boolean; actor: string }) {
    if (input.commitConfirm && (await commitConfirm.isActive())) {
      throw errors.conflict('another commit-confirm window is currently active — accept or wait for it to expire before importing');
    }
    const { snapshot: before, existingAliases, existingVlans, lastPriority } = await existingFor();
    const t = translateOpnsense(input.xml, { interfaceMap: input.interfaceMap, existingAliases, existingVlans, lastPriority });
    const skipped = [...t.skipped];
    const merged: Snapshot = { schema_version: before.schema_version };
    const names = versions.sectionNames();
    for (const [name, rows] of Object.entries(t.sections)) {
      if (rows.length === 0) continue;
      if (!names.includes(name)) {
        skipped.push(`${name}: no ${name.replace(/_/g, ' ')} section on this box yet; ${rows.length} not imported`);
        continue;
      }
      const current = Array.isArray(before[name]) ? (before[name] as Record<string, unknown>[]) : [];
      // Interface configurations replace the box's entry of the same name; everything else is added.
      merged[name] = name === 'interfaces'
        ? [...current.filter((c) => !rows.some((r) => r.name === c.name)), ...rows]
        : [...current, ...rows];
    }
    if (input.importSystemSettings) skipped.push('system settings (hostname, domain, DNS servers): no system section on this box yet; not imported');
    const preImportVersion = await versions.save(before, { createdBy: input.actor, comment: 'pre-OPNsense-import' });
    await versions.replaceAndApply(merged);
    let started = false;
    if (input.commitConfirm) {
      await commitConfirm.arm({ timeoutSecs: OPNSENSE_CONFIRM_SECS, description: 'OPNsense config import', armedBy: input.actor, snapshot: before });
      started = true;
    }
    await versions.save(await versions.snapshot(), { createdBy: input.actor, comment: 'POST /api/v1/config/import-opnsense' });
    const a = t.applied;
    const imported = (name: keyof typeof t.sections) => names.includes(name);
    const bits = [
      imported('rules') && a.rules && `${a.rules} firewall rules`, imported('aliases') && a.aliases && `${a.aliases} aliases`,
      imported('nat') && a.nat_port_forwards && `${a.nat_port_forwards} port-forwards`, imported('nat') && a.nat_outbound && `${a.nat_outbound} outbound NAT rules`,
      imported('nat') && a.nat_one_to_one && `${a.nat_one_to_one} 1:1 NAT mappings`, imported('static_routes') && a.static_routes && `${a.static_routes} static routes`,
      imported('vlans') && a.vlans && `${a.vlans} VLANs`, imported('interfaces') && a.interfaces && `${a.interfaces} interface configurations`,
    ].filter(Boolean);
    const zeroUnless = (name: keyof typeof t.sections, n: number) => (imported(name) ? n : 0);
    return {
      message: bits.length ? `Imported: ${bits.join(', ')}` : 'Imported nothing — see skipped list',
      applied: {
        rules: zeroUnless('rules', a.rules), aliases: zeroUnless('aliases', a.aliases), nat_port_forwards: zeroUnless('nat', a.nat_port_forwards),
        nat_outbound: zeroUnless('nat', a.nat_outbound), nat_one_to_one: zeroUnless('nat', a.nat_one_to_one), static_routes: zeroUnless('static_routes', a.static_routes),
        vlans: zeroUnless('vlans', a.vlans), interfaces: zeroUnless('interfaces', a.interfaces), dns_servers: 0, hostname: false,
      },
      skipped,
      pre_import_version: preImportVersion,
      commit_confirm_started: started,
    };
  }

  return {
    versions, commitConfirm, s3, preview, check, importConfig, previewOpnsense, importOpnsense, presentInterfaces,
    settled: autoSave.settled,
    stop() {
      autoSave.stop();
      commitConfirm.stop();
    },
  };
}

export type EdgeConfig = ReturnType<typeof createEdgeConfig>;
export { AIFW_ONLY_KEYS };
