import type { DestinationStream } from 'pino';

/** What a stalled reader may hold back in memory before further lines are dropped. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

const destinations = new Map<1 | 2, DestinationStream>();

/**
 * Where the JSON logger writes: the process's own stdout or stderr stream, one write per event-loop turn (a busy
 * server logs a line per request). Node writes to a pipe without blocking and keeps what the reader has not taken yet
 * in memory, so neither a stalled reader (EAGAIN) nor a vanished one (EPIPE) can block the process or its exit.
 * (pino's own destination flushes synchronously at exit and retries a broken pipe forever: `serve` ignored SIGTERM
 * once the process reading its output had gone.) After EPIPE nothing more is written; while the reader stalls, lines
 * beyond MAX_PENDING_BYTES are dropped. One per stream, shared by every logger on it.
 */
export function logDestination(fd: 1 | 2): DestinationStream {
  let destination = destinations.get(fd);
  if (!destination) destinations.set(fd, (destination = createDestination(fd === 1 ? process.stdout : process.stderr)));
  return destination;
}

function createDestination(stream: NodeJS.WriteStream): DestinationStream & { flush(cb?: () => void): void } {
  let broken = false;
  let pending = '';
  let scheduled = false;
  // Without a listener, the broken pipe's 'error' would be an uncaught exception; a log line is not worth a crash.
  stream.on('error', () => {
    broken = true;
  });
  const flush = (cb?: () => void) => {
    scheduled = false;
    const chunk = pending;
    pending = '';
    if (chunk && !broken) {
      try {
        stream.write(chunk);
      } catch {
        broken = true; // a file destination writes synchronously and throws (EPIPE on a FIFO, ENOSPC)
      }
    }
    cb?.();
  };
  // The lines of the last turn (a fatal error's, the shutdown's) are handed over before the process ends.
  process.on('exit', () => flush());
  return {
    write(line: string) {
      if (broken || pending.length + stream.writableLength > MAX_PENDING_BYTES) return;
      pending += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
