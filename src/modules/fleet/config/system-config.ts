import { z } from 'zod';

/**
 * The system configs OpenWatch serves under /api/v1/system/<section>/config: their defaults, and the schemas a PUT
 * is checked against. Bounds are OpenWatch's; the scan section clamps out-of-range numbers instead of rejecting.
 */
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const band = int(60, 86_400);

export const connectivityConfig = z.object({
  online_sec: band,
  degraded_sec: band,
  critical_sec: band,
  down_sec: band,
  maintenance_sec: band,
  timeout_sec: int(1, 30),
  unreachable_threshold: int(1, 10),
  rate_limit: int(1, 200),
  maintenance_global: z.boolean(),
});

export const intelligenceConfig = z.object({
  interval_sec: int(300, 86_400),
  rate_limit: int(1, 200),
  maintenance_global: z.boolean(),
});

export const discoveryConfig = z.object({
  interval_sec: int(3_600, 604_800),
  rate_limit: int(1, 500),
  detect_on_first_contact: z.boolean(),
  maintenance_global: z.boolean(),
});

/** Scan intervals per compliance band, in minutes. */
const SCAN_MINUTES = { min: 5, max: 2_880 };
const SCAN_RATE = { min: 1, max: 100 };
const clamp = (range: { min: number; max: number }) => z.number().int().transform((n) => Math.min(range.max, Math.max(range.min, n)));
const scanMinutes = clamp(SCAN_MINUTES);

export const scanConfig = z.object({
  enabled: z.boolean(),
  unknown_mins: scanMinutes,
  critical_mins: scanMinutes,
  non_compliant_mins: scanMinutes,
  partial_mins: scanMinutes,
  mostly_compliant_mins: scanMinutes,
  compliant_mins: scanMinutes,
  rate_limit: clamp(SCAN_RATE),
  maintenance_global: z.boolean(),
});

const FRAMEWORK = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'a framework key: lower-case letters, digits, "_", "." or "-"');

export const complianceConfig = z
  .object({
    /** "" grades against every rule. */
    default_framework: z.union([z.literal(''), FRAMEWORK]),
    enabled_frameworks: z.array(FRAMEWORK).max(32),
  })
  .refine((c) => c.default_framework === '' || c.enabled_frameworks.length === 0 || c.enabled_frameworks.includes(c.default_framework), {
    message: 'default_framework must be one of enabled_frameworks',
    path: ['default_framework'],
  });

export const configSchemas = {
  connectivity: connectivityConfig,
  intelligence: intelligenceConfig,
  discovery: discoveryConfig,
  scan: scanConfig,
  compliance: complianceConfig,
} as const;

export type ConfigSection = keyof typeof configSchemas;
export const configSections = Object.keys(configSchemas) as ConfigSection[];

export interface SystemConfigs {
  connectivity: z.output<typeof connectivityConfig>;
  intelligence: z.output<typeof intelligenceConfig>;
  discovery: z.output<typeof discoveryConfig>;
  scan: z.output<typeof scanConfig>;
  compliance: z.output<typeof complianceConfig>;
}

export const configDefaults: SystemConfigs = {
  connectivity: {
    online_sec: 900,
    degraded_sec: 300,
    critical_sec: 120,
    down_sec: 1_800,
    maintenance_sec: 3_600,
    timeout_sec: 5,
    unreachable_threshold: 2,
    rate_limit: 50,
    maintenance_global: false,
  },
  intelligence: { interval_sec: 3_600, rate_limit: 10, maintenance_global: false },
  discovery: { interval_sec: 86_400, rate_limit: 25, detect_on_first_contact: true, maintenance_global: false },
  scan: {
    enabled: true,
    unknown_mins: 360,
    critical_mins: 240,
    non_compliant_mins: 480,
    partial_mins: 720,
    mostly_compliant_mins: 1_440,
    compliant_mins: 2_880,
    rate_limit: 25,
    maintenance_global: false,
  },
  compliance: { default_framework: '', enabled_frameworks: [] },
};

/** Site variables rules read as `{{ name }}` (PUT /api/v1/system/scan/variables). */
export const scanVariables = z
  .record(z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/, 'variable names are lower-case letters, digits and "_"'), z.string().max(1_024))
  .refine((vars) => Object.keys(vars).length <= 256, 'at most 256 variables');
