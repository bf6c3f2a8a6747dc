/**
 * The spawner: a small long-lived Node process (plain JavaScript, run as is from src/ and from an install) that runs
 * the data planes' commands (nft, conntrack), so the large Rampart process never forks. A fork copies the parent's
 * page tables and libuv waits until the child has exec'd: each spawn from Rampart held its event loop 25-70 ms.
 *
 * Protocol: {id, argv, inputBytes, timeoutMs} in over the IPC channel, the input's bytes on stdin in the same
 * order (Node's IPC takes 0.25-1.3 s for a 10 MB message, a pipe a few ms); {id, code, signal, stdout, stderr} or
 * {id, error} out over the IPC channel. A command that reads a script from stdin (`nft -f -`) has its next process
 * started ahead of time, waiting on its stdin, so an apply does not wait for a fork and exec either: it writes its
 * script and closes stdin. A waiting nft has read nothing and done nothing; discarding it closes its stdin, which nft
 * reads as an empty script.
 *
 * A streamed command ({id, argv, stream: true}) gets its input in pieces, each {id, chunkBytes} with its bytes on
 * stdin, then {id, end: true} (stdin closed) or {id, abort: true} (its processes killed). It reads a real pipe:
 * `cat | argv` under sh, since a child's stdin from Node is a socket, which nft cannot open by path, and
 * `nft -f -` (or `/dev/stdin`) reads all of its input before it parses any, where from a path it parses as the pieces come.
 */
import { spawn } from 'node:child_process';

/** At most this many distinct commands keep a process waiting (the data planes use two or three). */
const MAX_WARM = 4;
/** Output beyond this fails the command, as execFile's maxBuffer did. */
const MAX_OUTPUT = 64 * 1024 * 1024;
/** Per command line (its JSON), the process waiting for its script. Map order is start order: the first is the oldest. */
const warm = new Map();

const readsStdin = (argv) => argv.some((a, i) => a === '-f' && argv[i + 1] === '-');
/** A streamed command as run: its input through cat, a pipe it can open by path. */
const piped = (argv) => ['sh', '-c', 'cat | exec "$0" "$@"', ...argv];
/** Streamed commands by request id, each with its writes in order. */
const streams = new Map();

/** Reads the requests' inputs off a stream, each `n` bytes, in the order asked. */
function byteReader(stream) {
  const chunks = [];
  let buffered = 0;
  const waiting = [];
  function serve() {
    while (waiting.length && buffered >= waiting[0].n) {
      const { n, resolve } = waiting.shift();
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      chunks.length = 0;
      if (all.length > n) chunks.push(all.subarray(n));
      buffered -= n;
      resolve(all.subarray(0, n));
    }
  }
  stream.on('data', (c) => {
    chunks.push(c);
    buffered += c.length;
    serve();
  });
  return (n) => new Promise((resolve) => {
    waiting.push({ n, resolve });
    serve();
  });
}

const readInput = byteReader(process.stdin);

/** Starts a process and collects its outcome; `done` resolves once it has exited and its pipes have closed. */
function start(argv, group = false) {
  // A streamed command has a process group of its own, so an abort ends its sh, cat and command alike.
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: group });
  const out = [];
  const err = [];
  let bytes = 0;
  let overflow = false;
  child.stdout.on('data', (c) => {
    bytes += c.length;
    if (bytes <= MAX_OUTPUT) return void out.push(c);
    overflow = true;
    child.kill();
  });
  child.stderr.on('data', (c) => err.push(c));
  // nft may exit before reading all of a script it rejects; that is reported through its exit code.
  child.stdin.on('error', () => {});
  const done = new Promise((resolve) => {
    child.once('error', (e) => resolve({ error: `cannot run ${argv.join(' ')}: ${e.message}` }));
    child.once('close', (code, signal) => {
      if (overflow) return resolve({ error: `${argv.join(' ')}: output over ${MAX_OUTPUT} bytes` });
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
  const proc = { child, done, exited: false };
  void done.then(() => (proc.exited = true));
  return proc;
}

const discard = (proc) => proc.child.stdin.end();

/** The waiting process for this command when it is still waiting, else a new one. */
function take(key, argv, group = false) {
  const ready = warm.get(key);
  warm.delete(key);
  // One that exited before it got a script never started properly (a missing program or namespace): run it
  // again, so the error is the one a fresh run gives.
  if (ready && !ready.exited) return ready;
  return start(argv, group);
}

function keepWarm(key, argv, group = false) {
  if (warm.has(key)) return; // another request for the same command warmed one meanwhile
  warm.set(key, start(argv, group));
  for (const [oldest, proc] of warm) {
    if (warm.size <= MAX_WARM) break;
    warm.delete(oldest);
    discard(proc);
  }
}

async function run({ id, argv, inputBytes, timeoutMs }) {
  const input = await readInput(inputBytes); // asked before anything else awaits: inputs come in request order
  const key = JSON.stringify(argv);
  const proc = readsStdin(argv) ? take(key, argv) : start(argv);
  const timer = timeoutMs ? setTimeout(() => proc.child.kill(), timeoutMs) : null;
  proc.child.stdin.end(input);
  const outcome = await proc.done;
  if (timer) clearTimeout(timer);
  if (process.connected) process.send({ id, ...outcome });
  // The next one starts after the answer, so its fork and exec neither delay it nor compete with this process.
  if (readsStdin(argv) && process.connected) keepWarm(key, argv);
}

/** Starts a streamed command; its pieces, end or abort come as further messages. */
async function open({ id, argv, timeoutMs }) {
  const wrapped = piped(argv);
  const key = JSON.stringify(wrapped);
  const proc = take(key, wrapped, true);
  const stream = { proc, writes: Promise.resolve() };
  streams.set(id, stream);
  const timer = timeoutMs ? setTimeout(() => kill(proc), timeoutMs) : null;
  const outcome = await proc.done;
  if (timer) clearTimeout(timer);
  streams.delete(id);
  if (process.connected) process.send({ id, ...outcome });
  if (process.connected) keepWarm(key, wrapped, true);
}

function kill(proc) {
  try {
    process.kill(-proc.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A piece, the end or an abort of a streamed command, applied in the order they came. */
function piece({ id, chunkBytes, end, abort }) {
  const input = chunkBytes === undefined ? null : readInput(chunkBytes); // asked at once: inputs come in request order
  const stream = streams.get(id);
  if (!stream) return void input;
  const { proc } = stream;
  // At once, not after the pieces before it: a command that stopped reading would hold them forever.
  if (abort) return void kill(proc);
  stream.writes = stream.writes.then(async () => {
    const stdin = proc.child.stdin;
    if (stdin.writableEnded || stdin.destroyed) return void (await input); // ended, aborted or exited: nothing to feed
    if (input) {
      const bytes = await input;
      if (!stdin.writableEnded && !stdin.destroyed && !stdin.write(bytes)) await new Promise((resolve) => proc.child.stdin.once('drain', resolve).once('close', resolve));
    } else if (end) stdin.end();
  });
}

process.on('message', (request) => {
  if (request.argv && request.stream) void open(request);
  else if (request.argv) void run(request);
  else piece(request);
});
// Rampart has gone: the waiting processes go too; those running finish first.
process.on('disconnect', () => {
  for (const proc of warm.values()) discard(proc);
  warm.clear();
  // A stream not ended yet never will be: nothing it was given is applied.
  for (const { proc } of streams.values()) if (!proc.child.stdin.writableEnded) kill(proc);
});
