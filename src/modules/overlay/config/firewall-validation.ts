/**
 * Validation of group firewall rules, shared by the config builder and the group-firewall routes, so a rule
 * the API accepts always becomes a rule nebula accepts.
 */
import { errors } from '../../../core/errors.js';
import type { FirewallProtocol, InboundRuleInput } from './config.types.js';

export const FIREWALL_PROTOCOLS: readonly FirewallProtocol[] = ['any', 'tcp', 'udp', 'icmp'];

/** One port or an inclusive range; start === end for a single port. */
export interface PortSpan {
  start: number;
  end: number;
}

const PORT_SEGMENT = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function parsePort(text: string, portRange: string): number {
  const port = Number(text);
  if (port < 1 || port > 65535) throw errors.validation(`port_range '${portRange}': port ${text} is outside 1-65535`);
  return port;
}

function parseSegment(segment: string, portRange: string): PortSpan {
  const match = PORT_SEGMENT.exec(segment);
  if (!match) {
    throw errors.validation(`port_range '${portRange}' must be 'any', a port such as '443', or a range such as '8000-8100'`);
  }
  const start = parsePort(match[1], portRange);
  const end = match[2] === undefined ? start : parsePort(match[2], portRange);
  if (start > end) throw errors.validation(`port_range '${portRange}': range start ${start} is greater than its end ${end}`);
  return { start, end };
}

/** 'any' -> null (every port); otherwise the spans of a port, a range, or a comma list of those. */
export function parsePortRange(portRange: string): PortSpan[] | null {
  const text = portRange.trim().toLowerCase();
  if (text === 'any') return null;
  return text.split(',').map((segment) => parseSegment(segment.trim(), portRange));
}

export function validateProtocol(protocol: string): FirewallProtocol {
  const lower = protocol.trim().toLowerCase();
  const known = FIREWALL_PROTOCOLS.find((p) => p === lower);
  if (!known) throw errors.validation(`protocol '${protocol}' must be one of ${FIREWALL_PROTOCOLS.join(', ')}`);
  return known;
}

/** A rule that passed validation, normalised: spans null means every port. */
export interface ValidInboundRule {
  allowed_group: string;
  protocol: FirewallProtocol;
  spans: PortSpan[] | null;
}

/** Throws a validation error naming what is wrong. */
export function validateInboundRule(rule: InboundRuleInput): ValidInboundRule {
  const allowedGroup = rule.allowed_group?.trim();
  if (!allowedGroup) throw errors.validation('allowed_group must name a group, or be any');
  const protocol = validateProtocol(rule.protocol);
  const spans = parsePortRange(rule.port_range);
  // ICMP has no ports: nebula would keep a rule with ports, but it could never match a packet.
  if (protocol === 'icmp' && spans) throw errors.validation(`protocol icmp has no ports; port_range must be 'any'`);
  return { allowed_group: allowedGroup, protocol, spans };
}
