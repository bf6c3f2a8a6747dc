/** The one nft runner of the data planes (egress, edge): modules import it from here, never from each other. */
import { runProcess, streamProcess } from './spawner.js';

/** Runs nft (or a prefix that ends in nft) with optional stdin; rejects with nft's stderr on a non-zero exit. */
export async function runNft(command: string[], args: string[], input?: string): Promise<string> {
  const { code, stdout, stderr } = await runProcess([...command, ...args], input ?? '');
  if (code === 0) return stdout;
  throw new Error(`nft ${args.join(' ')} failed (exit ${code}): ${stderr.trim() || 'no error output'}`);
}

/** nft reading a script while it is written: it parses as the pieces come and changes nothing before end(). */
export interface NftStream {
  write(text: string): boolean;
  drained(): Promise<void>;
  /** Ends the script; rejects with nft's stderr when nft refused it (then nothing changed). */
  end(): Promise<void>;
  /** Kills nft before the end of its script: nothing it was given takes effect. */
  abort(): void;
}

/** Starts `command -f /dev/fd/0` (a pipe nft opens by path; it reads `-` and `/dev/stdin` whole before parsing) and returns its input. */
export function streamNft(command: string[]): NftStream {
  const stream = streamProcess([...command, '-f', '/dev/fd/0']);
  return {
    write: (text) => stream.write(text),
    drained: () => stream.drained(),
    async end() {
      const { code, signal, stderr } = await stream.end();
      if (code !== 0) throw new Error(`nft -f (streamed) failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no error output'}`);
    },
    abort: () => stream.abort(),
  };
}
