import type { Command } from 'commander';

/** The `agent` command `rampart agent overlay` registered, so every agent shares it. */
export function agentCommand(program: Command): Command {
  const agent = program.commands.find((c) => c.name() === 'agent');
  if (!agent) throw new Error('register the overlay agent first: it creates `rampart agent`');
  return agent;
}
