/** Ends a command the operator has to correct: one line on stderr, exit 1, no stack trace. */
export function fail(message: string): never {
  process.stderr.write(`rampart: ${message}\n`);
  process.exit(1);
}
