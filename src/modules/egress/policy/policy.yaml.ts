import { lazyRequire } from '../../../core/lazy-require.js';

const yaml = lazyRequire<typeof import('yaml')>('yaml');

export const YAML_CONTENT_TYPE = 'application/yaml';

/** A record, a list of them or a policy document as YAML (?format=yaml). Plain strings throughout, so it parses back to the same JSON. */
export function toYaml(value: unknown): string {
  return yaml().stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 });
}
