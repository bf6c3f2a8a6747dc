import { join } from 'node:path';
import { installRoot } from '../../../install-root.js';
import { type FrameworkSummary, listFrameworks } from './frameworks.js';
import { formatIssue, loadRuleDirectory, type LoadedRules } from './rule-loader.js';

/** Rampart's own rule set, shipped in rules/fleet at the install root (found the same way from src/ and dist/). */
export const builtinRulesDir = join(installRoot, 'rules', 'fleet');

let cached: LoadedRules | undefined;

/** The built-in rules, loaded once per process. A broken built-in rule is a build defect: it throws. */
export function loadBuiltinRules(): LoadedRules {
  if (!cached) {
    const loaded = loadRuleDirectory(builtinRulesDir);
    if (loaded.issues.length) throw new Error(`built-in rules are invalid:\n${loaded.issues.map(formatIssue).join('\n')}`);
    cached = loaded;
  }
  return cached;
}

/** The frameworks the built-in rules map to, with titles and rule counts (for GET .../frameworks). */
export function builtinFrameworks(): FrameworkSummary[] {
  return listFrameworks(loadBuiltinRules().rules);
}
