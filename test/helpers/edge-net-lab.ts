/**
 * Network namespaces for the edge network and frame tests: names start with `rfr-<pid>-`, addresses come from
 * 10.242.0.0/16, and everything runs inside the namespaces (`ip netns exec`), never on the machine's own network.
 * Namespaces are removed by destroy(), on process exit, and (leftovers of dead runs) when a new lab starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import type { Exec } from '../../src/modules/edge/network/host.js';
import { hostExec } from '../../src/modules/edge/network/host.js';

const PREFIX = 'rfr-';
const OWN = `${PREFIX}${process.pid}-`;
const live = new Set<string>();
process.once('exit', () => {
  for (const ns of live) spawnSync('ip', ['netns', 'del', ns]);
});

function removeLeftovers() {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0];
    const pid = /^rfr-(\d+)-/.exec(name ?? '')?.[1];
    if (!pid || Number(pid) === process.pid) continue;
    let alive = true;
    try {
      process.kill(Number(pid), 0);
    } catch {
      alive = false;
    }
    if (!alive) spawnSync('ip', ['netns', 'del', name!]);
  }
}

export class EdgeNetLab {
  readonly namespaces: string[] = [];
  private counter = 0;

  constructor() {
    removeLeftovers();
  }

  /** A new namespace with lo up; its name is returned. */
  add(label: string): string {
    const ns = `${OWN}${label}${this.counter++}`.slice(0, 30);
    execFileSync('ip', ['netns', 'add', ns]);
    live.add(ns);
    this.namespaces.push(ns);
    this.sh(ns, 'ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Runs a command inside a namespace; throws with its stderr on failure. */
  sh(ns: string, cmd: string, args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** The edge network part's command runner, inside a namespace. */
  exec(ns: string): Exec {
    return (cmd, args) => hostExec('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /** A veth pair between two namespaces, each end with an address (CIDR) and up. */
  link(a: { ns: string; name: string; address?: string }, b: { ns: string; name: string; address?: string }) {
    this.sh(a.ns, 'ip', ['link', 'add', a.name, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.ns]);
    for (const end of [a, b]) {
      if (end.address) this.sh(end.ns, 'ip', ['addr', 'add', end.address, 'dev', end.name]);
      this.sh(end.ns, 'ip', ['link', 'set', end.name, 'up']);
    }
  }

  destroy() {
    for (const ns of this.namespaces.splice(0)) {
      spawnSync('ip', ['netns', 'del', ns]);
      live.delete(ns);
    }
  }
}

/** Whether namespaces can be made here (root, iproute2). */
export function canMakeNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['-V']).status === 0;
}
