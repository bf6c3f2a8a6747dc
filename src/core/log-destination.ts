import type { DestinationStream } from 'pino';

/** What a stalled reader may hold back in memory before further lines are dropped. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * Where the JSON logger writes: the process's own stdout or stderr stream. Node writes to a pipe without blocking and
 * keeps what the reader has not taken yet in memory, so neither a stalled reader (EAGAIN) nor a vanished one (EPIPE)
 * can block the process or its exit. (pino's own destination flushes synchronously at exit and retries a broken pipe
 * forever: `serve` ignored SIGTERM once the process reading its output had gone.) After EPIPE nothing more is written;
 * while the reader stalls, lines beyond MAX_PENDING_BYTES are dropped.
 */
export function logDestination(fd: 1 | 2): DestinationStream {
  const stream = fd === 1 ? process.stdout : process.stderr;
  let broken = false;
  // Without a listener, the broken pipe's 'error' would be an uncaught exception; a log line is not worth a crash.
  stream.on('error', () => {
    broken = true;
  });
  return {
    write(line: string) {
      if (broken || stream.writableLength > MAX_PENDING_BYTES) return;
      try {
        stream.write(line);
      } catch {
        broken = true; // a file destination writes synchronously and throws (EPIPE on a FIFO, ENOSPC)
      }
    },
  };
}
