/** The one nft runner of the data planes (egress, edge): modules import it from here, never from each other. */
import { spawn } from 'node:child_process';

/** Runs nft (or a prefix that ends in nft) with optional stdin; rejects with nft's stderr on a non-zero exit. */
export function runNft(command: string[], args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', (e) => reject(new Error(`cannot run ${command.join(' ')}: ${e.message}`)));
    child.once('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const stderr = Buffer.concat(err).toString('utf8').trim();
      reject(new Error(`nft ${args.join(' ')} failed (exit ${code}): ${stderr || 'no error output'}`));
    });
    // nft may exit before reading all of a script it rejects; that is reported through its exit code.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
