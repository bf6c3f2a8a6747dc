import type { CommandResult, HostSession } from '../ssh/ssh.types.js';
import { detectCapabilities, selectImplementation } from './capabilities.js';
import type { CheckCommand, CheckMethod, CheckVerdict } from './checks/check-method.js';
import { CHECK_METHODS, SHELL_FIELDS } from './checks/index.js';
import { ComparisonError } from './checks/compare.js';
import { inFrameworks, refsForHost } from './frameworks.js';
import { osKey, platformMismatch } from './platform.js';
import type { ComplianceRule, Evidence, HostFacts, RuleImplementation, RuleResult } from './rule.types.js';
import { UnquotableValueError } from './shell.js';
import { resolveVariables, UndefinedVariableError } from './variables.js';

export interface EvaluateOptions {
  facts: HostFacts;
  /** Site variable values for this scan; they override the rules' defaults. */
  variables?: Record<string, string>;
  /** Only rules mapped to these framework keys or families (cis_rhel9, cis, nist_800_53); all rules when absent. */
  frameworks?: readonly string[];
  /** Capabilities detected already (a caller scanning twice); detected over the session when absent. */
  capabilities?: ReadonlySet<string>;
  /** Commands in flight at once over the session's channels (default 8; OpenSSH servers allow 10 sessions). */
  concurrency?: number;
  /** Per command (default 60 s). */
  commandTimeoutMs?: number;
}

/**
 * Evaluates rules on one host over one session. Capabilities are detected once; each applicable rule's
 * implementation is picked by them; identical commands (sshd -T, cat /etc/login.defs) run once and serve every rule
 * that reads them; at most `concurrency` commands are in flight. Results come back in the rules' order. A check that
 * cannot run is that rule's `error`; a session that fails (the connection drops) rejects: the scan as a whole failed.
 */
export async function evaluateRules(session: HostSession, rules: readonly ComplianceRule[], options: EvaluateOptions): Promise<RuleResult[]> {
  const selected = options.frameworks?.length ? rules.filter((r) => inFrameworks(r, options.frameworks!)) : [...rules];
  const capabilities = options.capabilities ?? (await detectCapabilities(session));
  const runner = commandRunner(session, options.concurrency ?? 8, options.commandTimeoutMs ?? 60_000);
  const hostOs = osKey(options.facts);
  return Promise.all(selected.map((rule) => evaluateRule(rule, { ...options, capabilities, hostOs, runner })));
}

type Runner = (command: string, sudo: boolean) => Promise<CommandResult>;

interface RuleContext extends EvaluateOptions {
  capabilities: ReadonlySet<string>;
  hostOs: string | null;
  runner: Runner;
}

async function evaluateRule(rule: ComplianceRule, ctx: RuleContext): Promise<RuleResult> {
  const base = { rule_id: rule.id, title: rule.title, severity: rule.severity, framework_refs: refsForHost(rule.frameworkRefs, ctx.hostOs) };
  const mismatch = platformMismatch(rule, ctx.facts);
  if (mismatch) return { ...base, status: 'skipped', skip_reason: mismatch, evidence: null };

  const implementation = selectImplementation(rule, ctx.capabilities);
  const methodName = implementation.check.method;
  const prepared = prepareCheck(rule, implementation.check, ctx);
  if (typeof prepared === 'string') return errorResult(base, methodName, prepared);

  const result = await ctx.runner(prepared.command.command, prepared.command.sudo);
  let verdict: CheckVerdict;
  try {
    verdict = prepared.method.evaluate(prepared.check, result);
  } catch (err) {
    if (!(err instanceof ComparisonError)) throw err;
    verdict = { status: 'error', expected: '', actual: err.message };
  }
  const evidence: Evidence = {
    method: methodName,
    command: result.command,
    stdout: result.stdout,
    stderr: result.stderr,
    exit_code: result.exitCode,
    expected: verdict.expected,
    actual: verdict.actual,
    truncated: result.truncated,
  };
  return { ...base, status: verdict.status, skip_reason: null, ...(verdict.status === 'error' ? { error_reason: verdict.actual } : {}), evidence };
}

interface PreparedCheck {
  method: CheckMethod;
  check: unknown;
  command: CheckCommand;
}

/** The check with site variables filled and its fields validated, and its command; or why it cannot run. */
function prepareCheck(rule: ComplianceRule, raw: RuleImplementation['check'], ctx: RuleContext): PreparedCheck | string {
  const method = CHECK_METHODS[raw.method];
  if (!method) return `unknown check method "${raw.method}"`;
  try {
    const parsed = method.fields.safeParse(resolveVariables(raw, { ...rule.variables, ...ctx.variables }, SHELL_FIELDS));
    if (!parsed.success) return `invalid check after variables: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    const command = method.command(parsed.data, { capabilities: ctx.capabilities, facts: ctx.facts });
    return typeof command === 'string' ? command : { method, check: parsed.data, command };
  } catch (err) {
    if (err instanceof UndefinedVariableError || err instanceof UnquotableValueError) return err.message;
    throw err;
  }
}

/** An errored rule: no verdict, the reason in error_reason and in the evidence a reader sees. */
function errorResult(base: Omit<RuleResult, 'status' | 'skip_reason' | 'evidence'>, method: string, reason: string): RuleResult {
  return {
    ...base,
    status: 'error',
    skip_reason: null,
    error_reason: reason,
    evidence: { method, command: '', stdout: '', stderr: reason, exit_code: null, expected: '', actual: reason, truncated: false },
  };
}

/** Runs commands with a bound on those in flight, sharing one run among rules asking for the same command. */
function commandRunner(session: HostSession, limit: number, timeoutMs: number): Runner {
  const cache = new Map<string, Promise<CommandResult>>();
  const waiting: (() => void)[] = [];
  let active = 0;
  const acquire = () => (active < limit ? (active++, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return (command, sudo) => {
    const key = `${sudo ? 'root' : 'user'}\0${command}`;
    let pending = cache.get(key);
    if (!pending) {
      pending = acquire().then(() => session.run(command, { sudo, timeoutMs }).finally(release));
      cache.set(key, pending);
    }
    return pending;
  };
}
