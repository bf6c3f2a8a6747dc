import { readFileSync } from 'node:fs';

export interface CpuReading {
  own: number;
  children: number;
}

/**
 * CPU seconds spent so far by this process and by its reaped children (nft), from /proc/self/stat: on a loaded
 * machine wall time mostly measures the run queue, CPU time what the work costs. 10 ms steps (USER_HZ 100).
 */
export function cpuSeconds(): CpuReading {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = process.cpuUsage();
  return { own: (own.user + own.system) / 1e6, children: (Number(f[13]) + Number(f[14])) / 100 };
}

/** CPU seconds (this process and its reaped children) since `from`. */
export const cpuSince = (from: CpuReading): number => {
  const now = cpuSeconds();
  return now.own - from.own + now.children - from.children;
};
