import { z } from 'zod';
import type { Database } from '../../../core/db/database.js';
import { errors, isRampartError } from '../../../core/errors.js';
import type { Principal } from '../../../core/principal.js';
import type { NetworkAccessService } from '../access/network-access.js';
import type { InboundRuleInput } from '../config/config.types.js';
import { validateInboundRule } from '../config/firewall-validation.js';
import type { ConfigRevisions } from './config-revision.js';

export const inboundRuleView = z.object({
  allowed_group: z.string(),
  protocol: z.enum(['any', 'tcp', 'udp', 'icmp']),
  port_range: z.string(),
  description: z.string().nullable(),
});
export const groupFirewallView = z.object({ group_name: z.string(), inbound_rules: z.array(inboundRuleView) });
export type GroupFirewallView = z.infer<typeof groupFirewallView>;

export const MAX_GROUP_NAME = 64;
export const MAX_RULES = 256;

/** Group names end up in certificates and in firewall rules: printable, no commas (Nebula splits on them), no spaces around. */
function assertGroupName(name: string): string {
  if (name.length === 0 || name.length > MAX_GROUP_NAME) throw errors.validation(`group_name must be 1 to ${MAX_GROUP_NAME} characters`);
  if (name.trim() !== name || /[,\u0000-\u001f\u007f]/.test(name)) {
    throw errors.validation('group_name must not contain commas or control characters, nor start or end with spaces');
  }
  return name;
}

/** Validates every rule (400 naming the rule's index) and stores them normalised, as the config builder reads them. */
function normalise(rules: InboundRuleInput[]): z.infer<typeof inboundRuleView>[] {
  if (rules.length > MAX_RULES) throw errors.validation(`at most ${MAX_RULES} inbound_rules per group`);
  return rules.map((rule, index) => {
    try {
      const valid = validateInboundRule(rule);
      return { allowed_group: valid.allowed_group, protocol: valid.protocol, port_range: rule.port_range.trim().toLowerCase(), description: rule.description ?? null };
    } catch (err) {
      if (isRampartError(err)) throw errors.validation(`inbound_rules[${index}]: ${err.message}`);
      throw err;
    }
  });
}

/** Per-group inbound rules of a network. Every change bumps the network's config revision: nodes' configs change. */
export function createGroupFirewall(db: Database, access: NetworkAccessService, revisions: ConfigRevisions, now: () => Date) {
  const rowView = (row: { group_name: string; inbound_rules: unknown }): GroupFirewallView => ({
    group_name: row.group_name,
    inbound_rules: db.dialect.fromJson(row.inbound_rules),
  });

  return {
    async list(principal: Principal, networkId: string): Promise<GroupFirewallView[]> {
      const { network } = await access.require(principal, networkId, 'manage_firewall');
      const rows = await db.kysely.selectFrom('overlay_group_firewalls').select(['group_name', 'inbound_rules']).where('network_id', '=', network.id).orderBy('group_name').execute();
      return rows.map(rowView);
    },

    /** Creates or replaces the group's inbound rules. */
    async put(principal: Principal, networkId: string, groupName: string, rules: InboundRuleInput[]): Promise<GroupFirewallView> {
      const { network } = await access.require(principal, networkId, 'manage_firewall');
      const group_name = assertGroupName(groupName);
      const inbound_rules = normalise(rules);
      const values = { network_id: network.id, group_name, inbound_rules: db.dialect.toJson(inbound_rules), updated_at: now().toISOString() };
      await db.kysely
        .insertInto('overlay_group_firewalls')
        .values(values)
        .onConflict((oc) => oc.columns(['network_id', 'group_name']).doUpdateSet({ inbound_rules: values.inbound_rules, updated_at: values.updated_at }))
        .execute();
      await revisions.bump(network.id);
      return { group_name, inbound_rules };
    },

    /** 404 when the group has no rules. */
    async remove(principal: Principal, networkId: string, groupName: string): Promise<void> {
      const { network } = await access.require(principal, networkId, 'manage_firewall');
      const result = await db.kysely.deleteFrom('overlay_group_firewalls').where('network_id', '=', network.id).where('group_name', '=', groupName).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw errors.notFound(`No firewall config for group '${groupName}'`);
      await revisions.bump(network.id);
    },
  };
}

export type GroupFirewall = ReturnType<typeof createGroupFirewall>;
