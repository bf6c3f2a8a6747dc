import { z } from 'zod';
import { KNOWN_CAPABILITIES } from './capabilities.js';
import { PLATFORM_FAMILIES } from './platform.js';

/**
 * The YAML rule document (Kensa's format), validated strictly: unknown keys are errors, so a typo never silently
 * drops a setting. Check and remediation fields are validated by their method's and mechanism's own schemas
 * (rule-loader.ts), after site variables are filled with their defaults.
 */

const text = z.union([z.string(), z.number()]).transform(String);
const osKey = z.string().regex(/^[a-z]+[0-9]+$/, 'OS keys are a family and version such as debian12, ubuntu2204, rhel9');

const cisRef = z.strictObject({
  section: z.string().regex(/^\d+(\.\d+)*$/, 'must be a CIS section number such as 5.1.20'),
  level: z.enum(['L1', 'L2']).optional(),
  type: z.enum(['Automated', 'Manual']).optional(),
  profile: z.string().optional(),
});

const stigRef = z.strictObject({
  vuln_id: z.string().regex(/^V-\d+$/, 'must be a vulnerability id such as V-257947'),
  stig_id: z.string().optional(),
  rule_id: z.string().optional(),
  severity: z.enum(['CAT I', 'CAT II', 'CAT III']).optional(),
  cci: z.array(z.string()).optional(),
});

/** Per OS ({ubuntu2204: {...}}) or generic (the reference itself). */
const perOs = <T extends z.ZodType>(ref: T) => z.union([ref, z.record(osKey, ref)]);

const references = z
  .object({
    cis: perOs(cisRef).optional(),
    stig: perOs(stigRef).optional(),
    nist_800_53: z.array(z.string().regex(/^[A-Z]{2}-\d+(\(\d+\))*(\([a-z]\))?$/, 'must be a control id such as AC-17(2)')).optional(),
  })
  // Other frameworks (pci_dss_4, srg, cci, iso27001_2022): flat lists of control ids.
  .catchall(z.array(text));

const platform = z.strictObject({
  family: z.enum(PLATFORM_FAMILIES as [string, ...string[]]),
  min_version: text.optional(),
  max_version: text.optional(),
  derivatives: z.boolean().optional(),
});

const capability = z
  .string()
  .refine((c) => KNOWN_CAPABILITIES.includes(c.replace(/^!/, '')), { message: `unknown capability (known: ${KNOWN_CAPABILITIES.join(', ')})` });

/** `when:` as Kensa writes it, normalised to the contract's list (every item must hold; `!x` negates; `a|b` is any). */
export const capabilityGate = z
  .union([
    capability,
    z.array(capability).min(1),
    z.strictObject({ all: z.array(capability).min(1) }),
    z.strictObject({ any: z.array(capability).min(2) }),
    z.strictObject({ not: capability }),
  ])
  .transform((gate): string[] => {
    if (typeof gate === 'string') return [gate];
    if (Array.isArray(gate)) return gate;
    if ('all' in gate) return gate.all;
    if ('any' in gate) return [gate.any.join('|')];
    return [`!${gate.not.replace(/^!/, '')}`];
  });

const implementation = z.strictObject({
  when: capabilityGate.optional(),
  default: z.boolean().optional(),
  check: z.looseObject({ method: z.string({ error: 'check.method is required' }) }),
  remediation: z.looseObject({ mechanism: z.string({ error: 'remediation.mechanism is required' }) }).optional(),
});

export const ruleDocument = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'must be kebab-case (lower-case words joined by -)'),
  title: z.string().min(1).max(120),
  description: z.string().optional(),
  rationale: z.string().optional(),
  severity: z.enum(['critical', 'high', 'medium', 'low']),
  category: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lower-case category such as ssh or accounts'),
  tags: z.array(z.string()).optional(),
  references: references.default({}),
  platforms: z.array(platform).min(1),
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), text).optional(),
  implementations: z.array(implementation).min(1),
  depends_on: z.array(z.string()).optional(),
  conflicts_with: z.array(z.string()).optional(),
  supersedes: z.array(z.string()).optional(),
});

export type RuleDocument = z.infer<typeof ruleDocument>;
