import { z } from 'zod';
import type { CommandResult } from '../../ssh/ssh.types.js';
import type { HostFacts } from '../rule.types.js';

/** What a check method sees of the host before running anything: detected capabilities and discovery facts. */
export interface CheckContext {
  capabilities: ReadonlySet<string>;
  facts: HostFacts;
}

/** The command a check runs; `sudo` when it reads what only root may (shadow, sshd -T, audit rules). */
export interface CheckCommand {
  command: string;
  sudo: boolean;
}

export interface CheckVerdict {
  status: 'pass' | 'fail' | 'error';
  expected: string;
  actual: string;
}

/**
 * One check method: the fields it takes (validated strictly by the loader, again after variables are filled), the
 * command it runs (every rule value quoted), and how it judges the output.
 */
export interface CheckMethod<F = any> {
  fields: z.ZodType<F>;
  /** The command, or a string saying why it cannot run on this host (a missing tool): the rule errors with it. */
  command(check: F, context: CheckContext): CheckCommand | string;
  evaluate(check: F, result: CommandResult): CheckVerdict;
}

/** A scalar rule value: YAML may write numbers and booleans where the engine compares text. */
export const text = z.union([z.string(), z.number()]).transform(String);

/** Absolute path without control characters (it is quoted anyway; this catches typos early). */
export const absolutePath = z.string().regex(/^\/[^\0\n]*$/, 'must be an absolute path');

/** Names of packages, services, modules, keys: no spaces, no shell metacharacters worth allowing. */
export const token = z.string().regex(/^[A-Za-z0-9_.@:+\-/]+$/, 'must be a plain name (letters, digits, _ . @ : + - /)');

export function verdict(ok: boolean, expected: string, actual: string): CheckVerdict {
  return { status: ok ? 'pass' : 'fail', expected, actual };
}

export function errorVerdict(expected: string, actual: string): CheckVerdict {
  return { status: 'error', expected, actual };
}

/** True when the command failed because the file it read does not exist. */
export function fileMissing(result: CommandResult): boolean {
  return result.exitCode !== 0 && /No such file or directory/.test(result.stderr);
}

/** Explains a command that could not run at all (missing tool, refused sudo, timeout). */
export function commandFailure(result: CommandResult): string {
  if (result.timedOut) return 'the command timed out';
  if (result.exitCode === 127) return `command not found: ${result.stderr.trim() || result.command}`;
  return `the command failed (exit ${result.exitCode ?? 'signal'}): ${result.stderr.trim() || 'no output'}`;
}
