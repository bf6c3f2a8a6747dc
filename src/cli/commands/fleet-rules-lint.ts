import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatIssue, loadRuleDirectory } from '../../modules/fleet/compliance/rule-loader.js';
import { listFrameworks } from '../../modules/fleet/compliance/frameworks.js';
import { fail } from '../fail.js';

/**
 * `rampart fleet rules lint DIR`: validates every rule file under DIR. Each problem is printed as
 * file:rule:field: message and the exit code is 1; a clean directory prints a summary and exits 0.
 */
export function fleetRulesLintCommand(dir: string): void {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) fail(`${dir} is not a directory`);
  const { rules, issues } = loadRuleDirectory(root);
  if (issues.length) {
    for (const issue of issues) process.stderr.write(`${formatIssue(issue)}\n`);
    process.stderr.write(`${issues.length} problem${issues.length === 1 ? '' : 's'} in ${dir}; ${rules.length} valid rules\n`);
    process.exit(1);
  }
  const frameworks = listFrameworks(rules).map((f) => `${f.key} (${f.rule_count})`);
  process.stdout.write(`${rules.length} rules valid in ${dir}\nframeworks: ${frameworks.join(', ') || 'none'}\n`);
}
