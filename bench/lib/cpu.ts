import { readFileSync } from 'node:fs';
import { spawnerPid } from '../../src/core/dataplane/spawner.js';

export interface CpuReading {
  own: number;
  children: number;
  /** The data planes' spawner (core/dataplane/spawner.ts) and the nft processes it ran and reaped. */
  spawner: { pid: number | null; seconds: number };
}

/** Fields of /proc/PID/stat after the command name: [11] utime, [12] stime, [13] cutime, [14] cstime (ticks). */
function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

const ticks = (f: string[], from: number, to: number) => f.slice(from, to + 1).reduce((sum, v) => sum + Number(v), 0) / 100;

function spawnerSeconds(): CpuReading['spawner'] {
  const pid = spawnerPid();
  if (pid === null) return { pid, seconds: 0 };
  try {
    return { pid, seconds: ticks(statFields(pid), 11, 14) };
  } catch {
    return { pid: null, seconds: 0 }; // gone between the two reads
  }
}

/**
 * CPU seconds spent so far by this process, its reaped children, and the spawner that runs nft for the data plane
 * (with the nft processes it reaped), from /proc: on a loaded machine wall time mostly measures the run queue, CPU
 * time what the work costs. 10 ms steps (USER_HZ 100).
 */
export function cpuSeconds(): CpuReading {
  const own = process.cpuUsage();
  return { own: (own.user + own.system) / 1e6, children: ticks(statFields('self'), 13, 14), spawner: spawnerSeconds() };
}

/** CPU seconds (this process, its reaped children, the spawner's tree) since `from`. */
export const cpuSince = (from: CpuReading): number => {
  const now = cpuSeconds();
  // A spawner started (or started again) since `from` counts from zero.
  const spawner = now.spawner.pid !== null && now.spawner.pid === from.spawner.pid ? now.spawner.seconds - from.spawner.seconds : now.spawner.seconds;
  return now.own - from.own + now.children - from.children + spawner;
};
