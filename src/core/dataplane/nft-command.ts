/** The one nft runner of the data planes (egress, edge): modules import it from here, never from each other. */
import { runProcess } from './spawner.js';

/** Runs nft (or a prefix that ends in nft) with optional stdin; rejects with nft's stderr on a non-zero exit. */
export async function runNft(command: string[], args: string[], input?: string): Promise<string> {
  const { code, stdout, stderr } = await runProcess([...command, ...args], input ?? '');
  if (code === 0) return stdout;
  throw new Error(`nft ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no error output'}`);
}
