import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { lazyRequire } from '../../../core/lazy-require.js';

const yaml = lazyRequire<typeof import('yaml')>('yaml');
import type { z } from 'zod';
import { CHECK_METHODS, SHELL_FIELDS } from './checks/index.js';
import { deriveFrameworkRefs } from './frameworks.js';
import { MECHANISMS } from './remediation/mechanisms.js';
import type { ComplianceRule, RuleImplementation } from './rule.types.js';
import { ruleDocument, type RuleDocument } from './rule-schema.js';
import { UnquotableValueError } from './shell.js';
import { resolveVariables, UndefinedVariableError, variableNames } from './variables.js';

/** One problem in a rule file: where (file, rule id when known, field path) and what. */
export interface LintIssue {
  file: string;
  rule: string | null;
  field: string;
  message: string;
}

export interface LoadedRules {
  rules: ComplianceRule[];
  issues: LintIssue[];
  /** Site variable defaults from the directory's variables file. */
  variables: Record<string, string>;
}

/** The file in a rule directory holding site variable defaults (name: value), not a rule. */
export const VARIABLES_FILE = 'variables.yml';

export function formatIssue(issue: LintIssue): string {
  return `${issue.file}:${issue.rule ?? '-'}:${issue.field}: ${issue.message}`;
}

/** Every rule under a directory (*.yml, *.yaml, recursively), validated; invalid rules are left out with issues. */
export function loadRuleDirectory(dir: string): LoadedRules {
  const issues: LintIssue[] = [];
  const variables = readVariablesFile(dir, issues);
  const rules: ComplianceRule[] = [];
  const seen = new Map<string, string>();
  for (const path of yamlFiles(dir)) {
    const file = relative(dir, path);
    if (file === VARIABLES_FILE) continue;
    const rule = parseRuleFile(readFileSync(path, 'utf8'), file, variables, issues);
    if (!rule) continue;
    const first = seen.get(rule.id);
    if (first) {
      issues.push({ file, rule: rule.id, field: 'id', message: `duplicate rule id: already defined in ${first}` });
      continue;
    }
    seen.set(rule.id, file);
    rules.push(rule);
  }
  if (rules.length === 0 && issues.length === 0) issues.push({ file: dir, rule: null, field: '-', message: 'no rule files (*.yml) found' });
  return { rules, issues, variables };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(name) ? [path] : [];
    });
}

function readVariablesFile(dir: string, issues: LintIssue[]): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(join(dir, VARIABLES_FILE), 'utf8');
  } catch {
    return {};
  }
  const doc = parseYamlSafely(text, VARIABLES_FILE, issues);
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    issues.push({ file: VARIABLES_FILE, rule: null, field: '-', message: 'must map variable names to values' });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(doc)) {
    if (typeof value === 'string' || typeof value === 'number') out[name] = String(value);
    else issues.push({ file: VARIABLES_FILE, rule: null, field: name, message: 'a variable value must be a string or a number' });
  }
  return out;
}

function parseYamlSafely(text: string, file: string, issues: LintIssue[]): unknown {
  try {
    return yaml().parse(text);
  } catch (err) {
    issues.push({ file, rule: null, field: '(yaml)', message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
}

/** One rule file's text to a rule, or undefined with the issues found pushed. */
export function parseRuleFile(text: string, file: string, fileVariables: Record<string, string>, issues: LintIssue[]): ComplianceRule | undefined {
  const doc = parseYamlSafely(text, file, issues);
  if (doc === undefined) return undefined;
  const ruleId = doc && typeof doc === 'object' && typeof (doc as { id?: unknown }).id === 'string' ? (doc as { id: string }).id : null;
  const parsed = ruleDocument.safeParse(doc);
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, file, ruleId));
    return undefined;
  }
  const before = issues.length;
  const rule = toRule(parsed.data, file, fileVariables, issues);
  return issues.length === before ? rule : undefined;
}

function toRule(doc: RuleDocument, file: string, fileVariables: Record<string, string>, issues: LintIssue[]): ComplianceRule {
  const add = (field: string, message: string) => issues.push({ file, rule: doc.id, field, message });
  const defaults = doc.implementations.filter((impl) => impl.default === true);
  if (defaults.length !== 1) add('implementations', `exactly one implementation must have default: true (found ${defaults.length})`);
  doc.implementations.forEach((impl, i) => {
    if (impl.default && impl.when) add(`implementations[${i}].when`, 'the default implementation cannot be gated by when:');
    if (!impl.default && !impl.when) add(`implementations[${i}].when`, 'a non-default implementation needs a when: capability gate');
  });
  // The rule's defaults, overridden by the directory's variables file; the caller overrides both at evaluation.
  const used = variableNames(doc.implementations);
  const variables = Object.fromEntries(
    used.flatMap((name) => {
      const value = fileVariables[name] ?? doc.variables?.[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
  doc.implementations.forEach((impl, i) => {
    validatePart(impl.check, 'method', CHECK_METHODS, `implementations[${i}].check`, variables, add);
    if (impl.remediation) validatePart(impl.remediation, 'mechanism', MECHANISMS, `implementations[${i}].remediation`, variables, add);
  });
  return {
    id: doc.id,
    title: doc.title,
    description: doc.description?.trim(),
    rationale: doc.rationale?.trim(),
    severity: doc.severity,
    category: doc.category,
    references: doc.references,
    frameworkRefs: deriveFrameworkRefs(doc.references),
    platforms: doc.platforms,
    implementations: doc.implementations as RuleImplementation[],
    source: file,
    variables,
  };
}

/** Validates a check or remediation against its method's schema, with the variables filled by their defaults. */
function validatePart(
  part: Record<string, unknown>,
  kindField: 'method' | 'mechanism',
  registry: Record<string, { fields: z.ZodType }>,
  at: string,
  variables: Record<string, string>,
  add: (field: string, message: string) => void,
): void {
  const name = String(part[kindField]);
  const entry = registry[name];
  if (!entry) {
    add(`${at}.${kindField}`, `unknown ${kindField} "${name}" (known: ${Object.keys(registry).join(', ')})`);
    return;
  }
  let filled: Record<string, unknown>;
  try {
    filled = resolveVariables(part, variables, SHELL_FIELDS);
  } catch (err) {
    if (err instanceof UnquotableValueError) return add(at, err.message);
    if (!(err instanceof UndefinedVariableError)) throw err;
    const field = Object.entries(part).find(([, v]) => variableNames(v).includes(err.variable))?.[0] ?? kindField;
    add(`${at}.${field}`, err.message);
    return;
  }
  const result = entry.fields.safeParse(filled);
  if (!result.success) for (const issue of zodIssues(result.error, '', null)) add(`${at}${issue.field === '-' ? '' : `.${issue.field}`}`, issue.message);
}

function zodIssues(error: z.ZodError, file: string, rule: string | null): LintIssue[] {
  return error.issues.flatMap((issue) => {
    const base = fieldPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ file, rule, field: base ? `${base}.${key}` : key, message: 'unknown field' }));
    }
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    return [{ file, rule, field: base || '-', message: missing ? 'required field is missing' : issue.message }];
  });
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}
