import { resolve } from 'node:path';
import { loadBuiltinRules } from '../compliance/builtin-rules.js';
import { formatIssue, loadRuleDirectory } from '../compliance/rule-loader.js';
import type { ComplianceRule } from '../compliance/rule.types.js';

/**
 * The rules scans evaluate: the directory `fleet.rules_dir` names, else the built-in set. Loaded once per process;
 * a directory with invalid rules fails the scans (with the lint messages) rather than scanning part of it.
 */
export function ruleSetLoader(rulesDir: string): () => ComplianceRule[] {
  if (!rulesDir) return () => loadBuiltinRules().rules;
  let cached: ComplianceRule[] | undefined;
  return () => {
    if (!cached) {
      const loaded = loadRuleDirectory(resolve(rulesDir));
      if (loaded.issues.length) throw new Error(`the rules in ${rulesDir} are invalid:\n${loaded.issues.map(formatIssue).join('\n')}`);
      cached = loaded.rules;
    }
    return cached;
  };
}
