import type { FrameworkRefs } from '../compliance/rule.types.js';

/**
 * Framework keys are per-OS (cis_ubuntu2204, stig_rhel9) or OS-free (nist_800_53); a family is the key without
 * its OS suffix (cis, stig). A ?framework= filter names either.
 */
const OS_SUFFIX = /_(rhel|el|ubuntu|debian|centos|rocky|alma|almalinux|sles|suse|fedora|amzn|ol)[0-9.]*$/;

export function frameworkFamily(key: string): string {
  return key.replace(OS_SUFFIX, '');
}

/** `|key|family|...|` for the state row's LIKE filter. */
export function frameworkKeysColumn(refs: FrameworkRefs): string {
  const names = new Set<string>();
  for (const key of Object.keys(refs)) {
    names.add(key);
    names.add(frameworkFamily(key));
  }
  return `|${[...names].sort().join('|')}|`;
}

/** A LIKE pattern over framework_keys ('_' is left as is: as a wildcard it still matches itself). */
export const frameworkPattern = (framework: string) => `%|${framework.replace(/[%|\\]/g, '')}|%`;

export function matchesFramework(refs: FrameworkRefs, framework: string): boolean {
  return Object.keys(refs).some((key) => key === framework || frameworkFamily(key) === framework);
}

/** The control ids a rule maps to under a framework (the key itself or every key of the family). */
export function controlIds(refs: FrameworkRefs, framework: string | undefined): string[] {
  if (!framework) return [];
  const ids = Object.entries(refs)
    .filter(([key]) => key === framework || frameworkFamily(key) === framework)
    .flatMap(([, values]) => values);
  return [...new Set(ids)];
}
