import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';

/** The box's own figures for the metrics payload: CPU, memory, disk, uptime, resolvers. Plain Node and /proc. */
export function createSystemStats() {
  let last = cpuTimes();
  let lastDisk: { at: number; reads: number; writes: number; readSectors: number; writeSectors: number } | null = null;

  function cpuTimes() {
    let idle = 0;
    let total = 0;
    for (const cpu of os.cpus()) {
      const t = cpu.times;
      idle += t.idle;
      total += t.user + t.nice + t.sys + t.idle + t.irq;
    }
    return { idle, total };
  }

  async function diskIo() {
    const text = await readFile('/proc/diskstats', 'utf8').catch(() => '');
    let reads = 0, writes = 0, readSectors = 0, writeSectors = 0;
    for (const line of text.split('\n')) {
      const f = line.trim().split(/\s+/);
      // Whole disks only (sda, vda, nvme0n1), not partitions or loop devices.
      if (f.length < 10 || !/^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+)$/.test(f[2])) continue;
      reads += Number(f[3]); readSectors += Number(f[5]); writes += Number(f[7]); writeSectors += Number(f[9]);
    }
    const now = Date.now();
    const prev = lastDisk;
    lastDisk = { at: now, reads, writes, readSectors, writeSectors };
    if (!prev || now <= prev.at) return { reads_per_sec: 0, writes_per_sec: 0, read_kbps: 0, write_kbps: 0 };
    const s = (now - prev.at) / 1000;
    return {
      reads_per_sec: Math.max(0, (reads - prev.reads) / s), writes_per_sec: Math.max(0, (writes - prev.writes) / s),
      read_kbps: Math.max(0, ((readSectors - prev.readSectors) * 512) / 1024 / s), write_kbps: Math.max(0, ((writeSectors - prev.writeSectors) * 512) / 1024 / s),
    };
  }

  return {
    async read(extra: { default_gateway: string | null; route_count: number }) {
      const now = cpuTimes();
      const total = now.total - last.total;
      const cpu_usage = total > 0 ? Math.round((1 - (now.idle - last.idle) / total) * 1000) / 10 : 0;
      last = now;
      const memory_total = os.totalmem();
      const memory_used = memory_total - os.freemem();
      const root = await statfs('/').catch(() => null);
      const disks = root
        ? [{ mount: '/', filesystem: 'rootfs', total: root.blocks * root.bsize, used: (root.blocks - root.bfree) * root.bsize, pct: root.blocks ? Math.round(((root.blocks - root.bfree) / root.blocks) * 1000) / 10 : 0 }]
        : [];
      const resolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
      return {
        cpu_usage,
        cpu_cores: os.cpus().length,
        memory_total,
        memory_used,
        memory_pct: memory_total ? Math.round((memory_used / memory_total) * 1000) / 10 : 0,
        disks,
        disk_io: await diskIo(),
        uptime_secs: Math.floor(os.uptime()),
        hostname: os.hostname(),
        os_version: `${os.type()} ${os.release()}`,
        dns_servers: resolv.split('\n').map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => Boolean(x)),
        ...extra,
      };
    },
  };
}
