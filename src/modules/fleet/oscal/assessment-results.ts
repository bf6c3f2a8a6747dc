import { createHash, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Evidence, FrameworkRefs } from '../compliance/rule.types.js';
import {
  OSCAL_VERSION,
  RAMPART_NS,
  type AssessmentResult,
  type AssessmentResultsDocument,
  type ControlSelection,
  type Finding,
  type Observation,
  type Prop,
  type RelevantEvidence,
  type Resource,
} from './oscal.types.js';

/** One rule's stored verdict with its evidence, as a scan recorded it. */
export interface OscalRuleResult {
  rule_id: string;
  title: string;
  description: string;
  status: string;
  severity: string;
  framework_refs: FrameworkRefs;
  skip_reason: string | null;
  evidence: Evidence | null;
}

export interface OscalScanInput {
  scan: { id: string; status: string; queued_at: string; started_at: string | null; finished_at: string | null; policy_version: string; score: number | null };
  host: { id: string; hostname: string; ip_address: string | null };
  results: OscalRuleResult[];
  /** Narrowed to one rule (the per-rule export): named in the titles. */
  ruleId?: string;
  generatedAt: string;
  rampartVersion: string;
}

/**
 * A UUID derived from the scan and a name (RFC 4122 version 5 layout over SHA-1), so a finding or observation
 * keeps its uuid across exports of the same scan and tools can follow it from one download to the next.
 */
export function stableUuid(...parts: string[]): string {
  const hex = createHash('sha1').update(parts.join('\u0000')).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** OSCAL tokens start with a letter or underscore and hold letters, digits, '.', '-' and '_' only. */
export function oscalToken(value: string): string {
  const cleaned = value.replace(/[^\p{L}\p{N}._-]+/gu, '-');
  return /^[\p{L}_]/u.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** NIST SP 800-53 ids as the OSCAL catalog spells them: AC-6(2) -> ac-6.2. */
export function nistControlId(ref: string): string {
  return oscalToken(ref.trim().toLowerCase().replace(/\((\w+)\)/g, '.$1').replace(/\s+/g, ''));
}

/** A prop, or nothing when the value is empty (OSCAL strings must not be blank or padded). */
function prop(name: string, value: string | number | null | undefined, extra: Partial<Prop> = {}): Prop[] {
  const text = value === null || value === undefined ? '' : String(value).trim();
  return text ? [{ name, value: text, ns: RAMPART_NS, ...extra }] : [];
}

/** The host's address under OSCAL's own prop names. */
function addressProps(address: string | null): Prop[] {
  if (!address) return [];
  return [{ name: isIP(address) === 6 ? 'ipv6-address' : isIP(address) === 4 ? 'ipv4-address' : 'fqdn', value: address }];
}

/** `{key: list}`, or nothing for an empty list: every OSCAL array holds at least one item. */
function listed<K extends string, T>(key: K, list: T[]): { [k in K]?: T[] } {
  return (list.length ? { [key]: list } : {}) as { [k in K]?: T[] };
}

const nonBlank = (text: string, fallback: string) => (text.trim() ? text.trim() : fallback);

function reviewedControls(results: OscalRuleResult[]): ControlSelection[] {
  const ids = [...new Set(results.flatMap((r) => (r.framework_refs.nist_800_53 ?? []).map(nistControlId)))].sort();
  // No NIST mapping among the rules: the assessment reviewed whatever the plan names (OSCAL's include-all).
  return ids.length ? [{ 'include-controls': ids.map((id) => ({ 'control-id': id })) }] : [{ 'include-all': {} }];
}

function frameworkProps(refs: FrameworkRefs): Prop[] {
  return Object.entries(refs)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([framework, ids]) => ids.flatMap((id) => prop('framework-reference', id, { class: oscalToken(framework) })));
}

/** The check's evidence: what ran, what came back, what was expected; stdout travels as a base64 resource. */
function evidenceOf(scanId: string, r: OscalRuleResult): { evidence: RelevantEvidence[]; resources: Resource[] } {
  const e = r.evidence;
  if (!e) return { evidence: [], resources: [] };
  const resources: Resource[] = [];
  let href: string | undefined;
  if (e.stdout) {
    const uuid = stableUuid(scanId, 'stdout', r.rule_id);
    href = `#${uuid}`;
    resources.push({
      uuid,
      title: `Output of the ${r.rule_id} check`,
      ...listed('props', prop('rule-id', r.rule_id)),
      base64: { filename: `${oscalToken(r.rule_id)}.stdout.txt`, 'media-type': 'text/plain', value: Buffer.from(e.stdout, 'utf8').toString('base64') },
    });
  }
  const remarks = [`Command: ${e.command}`, ...(e.stderr.trim() ? [`Standard error: ${e.stderr.trim()}`] : [])].join('\n\n');
  return {
    resources,
    evidence: [
      {
        ...(href ? { href } : {}),
        description: `${e.method} check: expected ${e.expected || '(nothing)'}; found ${e.actual || '(nothing)'}`,
        ...listed('props', [...prop('method', e.method), ...prop('exit-code', e.exit_code), ...prop('expected', e.expected), ...prop('actual', e.actual), ...prop('truncated', e.truncated ? 'true' : '')]),
        remarks,
      },
    ],
  };
}

const STATE: Record<string, Finding['target']['status']> = {
  pass: { state: 'satisfied', reason: 'pass' },
  fail: { state: 'not-satisfied', reason: 'fail' },
  error: { state: 'not-satisfied', reason: 'other', remarks: 'The check could not be evaluated on the host.' },
};

/** The uuids one export's parts point at each other with, and the host they are about. */
interface Refs {
  scanId: string;
  host: OscalScanInput['host'];
  tool: string;
  subject: string;
  collected: string;
}

function observationOf(refs: Refs, r: OscalRuleResult, evidence: RelevantEvidence[]): Observation {
  return {
    uuid: stableUuid(refs.scanId, 'observation', r.rule_id),
    title: r.title || r.rule_id,
    description: nonBlank(r.description, `Rampart evaluated rule ${r.rule_id} on ${refs.host.hostname}.`),
    ...listed('props', [...prop('rule-id', r.rule_id), ...prop('result', r.status), ...prop('severity', r.severity)]),
    methods: ['TEST'],
    types: ['finding'],
    origins: [{ actors: [{ type: 'tool', 'actor-uuid': refs.tool }] }],
    subjects: [{ 'subject-uuid': refs.subject, type: 'inventory-item', title: refs.host.hostname }],
    ...listed('relevant-evidence', evidence),
    collected: refs.collected,
    ...(r.status === 'skipped' ? { remarks: nonBlank(r.skip_reason ?? '', 'The rule does not apply to this host.') } : {}),
  };
}

const VERDICT: Record<string, string> = { pass: 'passed', fail: 'failed', error: 'could not be evaluated' };

/** The finding on a judged rule; none for a skipped one. */
function findingOf(refs: Refs, r: OscalRuleResult, observationUuid: string): Finding | null {
  const status = STATE[r.status];
  if (!status) return null;
  return {
    uuid: stableUuid(refs.scanId, 'finding', r.rule_id),
    title: r.title || r.rule_id,
    description: nonBlank(r.description, `Rule ${r.rule_id} ${VERDICT[r.status]} on ${refs.host.hostname}.`),
    ...listed('props', [...prop('severity', r.severity), ...frameworkProps(r.framework_refs)]),
    target: { type: 'objective-id', 'target-id': oscalToken(r.rule_id), title: r.title || r.rule_id, status },
    'related-observations': [{ 'observation-uuid': observationUuid }],
  };
}

/** Rampart as the tool that observed, and the host as the inventory item observed. */
function localDefinitions(refs: Refs, rampartVersion: string): AssessmentResult['local-definitions'] {
  const { host } = refs;
  return {
    components: [{ uuid: refs.tool, type: 'software', title: 'Rampart', description: `Rampart ${rampartVersion}, the compliance engine that ran the checks.`, status: { state: 'operational' } }],
    'inventory-items': [
      { uuid: refs.subject, description: `Managed host ${host.hostname}`, props: [{ name: 'asset-id', value: host.id }, ...prop('hostname', host.hostname), ...addressProps(host.ip_address)] },
    ],
  };
}

/**
 * A scan's stored results as an OSCAL 1.1 assessment-results document: one observation per rule (the evidence its
 * check gathered on the host) and one finding per judged rule (pass: satisfied, fail and error: not-satisfied);
 * skipped rules are observed with their reason and judged nothing. NIST SP 800-53 references become the reviewed
 * controls; the other frameworks' references stay on the finding as namespaced props.
 */
export function assessmentResults(input: OscalScanInput): AssessmentResultsDocument {
  const { scan, host, results } = input;
  const refs: Refs = {
    scanId: scan.id, host, tool: stableUuid(scan.id, 'tool'), subject: stableUuid(scan.id, 'host', host.id),
    collected: scan.finished_at ?? scan.started_at ?? scan.queued_at,
  };
  const plan = stableUuid(scan.id, 'plan', scan.policy_version);
  const resources: Resource[] = [
    { uuid: plan, title: 'Rampart compliance rule set', description: 'The rules the scan evaluated (the assessment plan).', ...listed('props', prop('policy-version', scan.policy_version)) },
  ];
  const observations: Observation[] = [];
  const findings: Finding[] = [];
  for (const r of results) {
    const { evidence, resources: attached } = evidenceOf(scan.id, r);
    resources.push(...attached);
    const observation = observationOf(refs, r, evidence);
    observations.push(observation);
    const finding = findingOf(refs, r, observation.uuid);
    if (finding) findings.push(finding);
  }

  const subjectLine = input.ruleId ? `rule ${input.ruleId} on ${host.hostname}` : host.hostname;
  return {
    'assessment-results': {
      uuid: randomUUID(),
      metadata: {
        title: `Rampart compliance scan of ${subjectLine}`,
        'last-modified': input.generatedAt,
        version: scan.policy_version || '1',
        'oscal-version': OSCAL_VERSION,
        ...listed('props', [...prop('scan-id', scan.id), ...prop('host-id', host.id)]),
      },
      'import-ap': { href: `#${plan}` },
      results: [
        {
          uuid: stableUuid(scan.id, 'result', input.ruleId ?? ''),
          title: `Scan ${scan.id} of ${subjectLine}`,
          description: `Compliance checks Rampart ran over SSH on ${host.hostname}; scan status ${scan.status}${scan.score === null ? '' : `, score ${scan.score}`}.`,
          ...listed('props', [...prop('scan-status', scan.status), ...prop('score', scan.score)]),
          start: scan.started_at ?? scan.queued_at,
          ...(scan.finished_at ? { end: scan.finished_at } : {}),
          'local-definitions': localDefinitions(refs, input.rampartVersion),
          'reviewed-controls': { 'control-selections': reviewedControls(results) },
          ...listed('observations', observations),
          ...listed('findings', findings),
        },
      ],
      'back-matter': { resources },
    },
  };
}
