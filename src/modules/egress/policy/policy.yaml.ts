import { stringify } from 'yaml';
import type { PolicyRecord } from './policy.types.js';

export const YAML_CONTENT_TYPE = 'application/yaml';

/** A record as YAML (?format=yaml). Plain strings throughout, so it parses back to the same JSON record. */
export function recordToYaml(record: PolicyRecord): string {
  return stringify(record, { aliasDuplicateObjects: false, lineWidth: 0 });
}
