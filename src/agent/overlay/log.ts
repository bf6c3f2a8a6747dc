/** The agent's log: one line per event on stderr, timestamped (the journal adds its own; a terminal does not). */
export type AgentLog = (message: string) => void;

export const stderrLog: AgentLog = (message) => {
  process.stderr.write(`${new Date().toISOString()} rampart-agent: ${message}\n`);
};
