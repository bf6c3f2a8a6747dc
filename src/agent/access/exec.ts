/**
 * How the access agents run the system's tools (ip, wg, nft, conntrack, wireguard-go). The agents run them
 * directly; tests and the lab hand in a runner that prefixes `ip netns exec <ns>`, so the same code configures a
 * namespace without the agent itself being inside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  /** Runs to completion; `input` goes to stdin. Never throws for a non-zero exit: see `must`. */
  run(command: string, args: string[], input?: string): Promise<CommandResult>;
  /** Starts a long-running process (wireguard-go in the foreground). */
  spawn(command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
}

const COMMAND_TIMEOUT_MS = 20_000;

function runWith(prefix: string[], command: string, args: string[], input?: string): Promise<CommandResult> {
  const [program, ...rest] = [...prefix, command, ...args];
  return new Promise((resolve) => {
    const child = spawn(program, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr: `${stderr}${err.message}` });
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // a program that exits before reading its input
    child.stdin.end(input ?? '');
  });
}

/** A runner that prefixes every command (e.g. ['ip', 'netns', 'exec', ns]); [] runs them directly. */
export function prefixedRunner(prefix: string[] = []): CommandRunner {
  return {
    run: (command, args, input) => runWith(prefix, command, args, input),
    spawn: (command, args, env) => {
      const [program, ...rest] = [...prefix, command, ...args];
      return spawn(program, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    },
  };
}

export const localRunner = prefixedRunner();

export const netnsRunner = (netns: string) => prefixedRunner(['ip', 'netns', 'exec', netns]);

export class CommandError extends Error {}

/** Runs and throws naming the command and its stderr when it fails. */
export async function must(runner: CommandRunner, command: string, args: string[], input?: string): Promise<string> {
  const result = await runner.run(command, args, input);
  if (result.status !== 0) {
    throw new CommandError(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}
