import { errors } from '../../../core/errors.js';
import { normalizeHostname, normalizeIpIndicator } from './indicator-values.js';
import type { IndicatorType, SilenceKind, ThreatSilence } from './threat.types.js';

const REGEX_MAX = 1_000;

export interface SilenceInput {
  kind: SilenceKind;
  indicator_type?: IndicatorType | null;
  value: string;
  reason?: string | null;
}

/**
 * A silence as Neuwerk stores it: exact silences need an indicator_type and keep the value normalized (a
 * hostname lowercase without the final dot, an IPv4 address canonical); hostname_regex silences drop the
 * indicator_type and must compile. A bad one is a 400.
 */
export function normalizeSilence(input: SilenceInput): Pick<ThreatSilence, 'kind' | 'indicator_type' | 'value' | 'reason'> {
  const reason = input.reason?.trim() || null;
  if (input.kind === 'exact') {
    if (!input.indicator_type) throw errors.validation('exact threat silence requires indicator_type');
    return { kind: 'exact', indicator_type: input.indicator_type, value: exactValue(input.indicator_type, input.value), reason };
  }
  if (input.indicator_type === 'ip') throw errors.validation('hostname_regex threat silence cannot target ip indicators');
  const pattern = input.value.trim();
  compileHostnameRegex(pattern);
  return { kind: 'hostname_regex', indicator_type: null, value: pattern, reason };
}

function exactValue(type: IndicatorType, value: string): string {
  if (type === 'hostname') {
    const name = normalizeHostname(value);
    if (!name) throw errors.validation('hostname silence value cannot be empty');
    return name;
  }
  const ip = normalizeIpIndicator(value);
  if (!ip || ip.includes('/')) throw errors.validation(`invalid ipv4 silence value: "${value.trim()}"`);
  return ip;
}

function compileHostnameRegex(pattern: string): RegExp {
  if (!pattern) throw errors.validation('hostname regex silence value cannot be empty');
  if (pattern.length > REGEX_MAX) throw errors.validation(`hostname regex silence is longer than ${REGEX_MAX} characters`);
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw errors.validation(`invalid hostname regex silence: ${(err as Error).message}`);
  }
}

export interface SilenceMatcher {
  matches(type: IndicatorType, indicator: string): boolean;
}

/** Exact silences in sets; hostname patterns tried in turn (they are few, and only run once a feed matched). */
export function createSilenceMatcher(silences: Pick<ThreatSilence, 'kind' | 'indicator_type' | 'value'>[]): SilenceMatcher {
  const hostnames = new Set<string>();
  const ips = new Set<string>();
  const patterns: RegExp[] = [];
  for (const s of silences) {
    if (s.kind === 'hostname_regex') patterns.push(compileHostnameRegex(s.value));
    else (s.indicator_type === 'ip' ? ips : hostnames).add(s.value);
  }
  return {
    matches(type, indicator) {
      if (type === 'ip') return ips.has(normalizeIpIndicator(indicator) ?? indicator);
      const name = normalizeHostname(indicator);
      return name !== '' && (hostnames.has(name) || patterns.some((p) => p.test(name)));
    },
  };
}
