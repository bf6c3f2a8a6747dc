import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../../../../core/logger.js';
import { installRoot } from '../../../../install-root.js';
import type { BlockedEntry } from '../blocked.js';

/** nftables `log group` the firewall part writes blocked (and logged) packets to; prefixes "block ...", "pass ...". */
export const NFLOG_GROUP = 1;
export const NFLOG_READER = join(installRoot, 'src/modules/edge/network/nflog/nflog-reader.py');

export type Spawn = (cmd: string, args: string[]) => ChildProcess;
export const hostSpawn: Spawn = (cmd, args) => spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });

interface Packet { ts: number; prefix: string; indev: string | null; outdev: string | null; protocol: string; src: string; dst: string; sport: number; dport: number; ready?: number }

/** A logged packet as the blocked list shows it; the prefix's first word is the action, the rest names the rule. */
export function entryOf(p: Packet): BlockedEntry {
  const [action = 'block', ...rest] = p.prefix.trim().split(/\s+/);
  return {
    timestamp: new Date(p.ts * 1000).toISOString(),
    action,
    direction: p.indev ? 'in' : 'out',
    interface: p.indev ?? p.outdev ?? '',
    protocol: p.protocol,
    src_addr: p.src,
    src_port: p.sport,
    dst_addr: p.dst,
    dst_port: p.dport,
    rule: rest.join(' ') || null,
  };
}

/**
 * Runs the nflog reader (Debian's python3: Node has no netlink socket) and hands every packet on; restarts it if it
 * dies. Resolves once the group is bound.
 */
export async function readNflog(opts: { spawn: Spawn; group: number; logger: Logger; onPacket(entry: BlockedEntry): void }) {
  let child: ChildProcess | null = null;
  let stopped = false;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const proc = opts.spawn('/usr/bin/python3', ['-u', NFLOG_READER, String(opts.group)]);
      child = proc;
      let ready = false;
      let stderr = '';
      proc.stderr!.on('data', (d) => void (stderr = (stderr + String(d)).slice(-2000)));
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        let packet: Packet;
        try {
          packet = JSON.parse(line) as Packet;
        } catch {
          return;
        }
        if (packet.ready !== undefined) {
          ready = true;
          resolve();
        } else opts.onPacket(entryOf(packet));
      });
      proc.once('error', reject);
      proc.once('exit', (code) => {
        if (!ready) reject(new Error(`nflog reader exited (${code}): ${stderr.trim()}`));
        else if (!stopped) {
          opts.logger.warn({ code, stderr }, 'nflog reader exited; restarting');
          setTimeout(() => void start().catch((err) => opts.logger.error({ err }, 'nflog reader restart failed')), 1000).unref();
        }
      });
    });
  await start();
  return {
    stop() {
      stopped = true;
      child?.kill('SIGTERM');
    },
  };
}
