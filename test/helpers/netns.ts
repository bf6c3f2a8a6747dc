/**
 * A throwaway underlay for overlay tests: network namespaces joined by a bridge, nothing else.
 *
 *   hub namespace:  bridge `br0`, one veth end `h<i>` per host
 *   host namespace: the other veth end `ul0` with 198.18.0.<i>/24 (the benchmarking range: this machine's own network sits in 192.0.2.0/24), and lo
 *
 * Namespace names start with `rp<pid>-`; how they are made, joined and removed: lab-base.ts. The lab's scratch
 * directory (wrapper scripts, configs with private keys) goes with it, and with a dead run's leftovers.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NamespaceLab, pidAlive, type Spawned } from './lab-base.js';

export type { ExecResult } from './lab-base.js';
export type SpawnedInNetns = Spawned;

const UNDERLAY = '198.18.0';
const HUB = 'hub';

export interface LabHost {
  /** The name tests use ('lighthouse', 'web'). */
  name: string;
  /** The namespace's real (prefixed) name, for `ip netns exec`. */
  netns: string;
  /** Underlay IPv4 address of its `ul0` link. */
  address: string;
}

/** Scratch directories of earlier runs whose process is gone. */
function removeLeftoverDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    const owner = Number(/^rampart-rp(\d+)-/.exec(name)?.[1]);
    if (owner && owner !== process.pid && !pidAlive(owner)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

export class NetnsLab extends NamespaceLab<string> {
  readonly hosts = new Map<string, LabHost>();
  /** Holds wrapper scripts; removed by destroy(). */
  readonly dir: string;

  /** Creates the hub and one namespace per host name, joined on 198.18.0.0/24 (hosts get .1, .2, ... in order). */
  static create(hostNames: string[]): NetnsLab {
    if (new Set(hostNames).size !== hostNames.length) throw new Error(`host names must be unique: ${hostNames.join(', ')}`);
    if (hostNames.includes(HUB)) throw new Error(`"${HUB}" is the lab's own namespace, not a host name`);
    if (hostNames.length > 250) throw new Error('at most 250 hosts fit the underlay /24');
    removeLeftoverDirs();
    return new NetnsLab(hostNames).open();
  }

  private constructor(hostNames: string[]) {
    super('rp', { [HUB]: HUB, ...Object.fromEntries(hostNames.map((name) => [name, name])) });
    this.dir = mkdtempSync(join(tmpdir(), `rampart-${this.id}-`));
    hostNames.forEach((name, i) => this.hosts.set(name, { name, netns: this.ns[name], address: `${UNDERLAY}.${i + 1}` }));
  }

  protected build(): void {
    this.bridge(HUB);
    [...this.hosts.values()].forEach((host, i) => {
      // Interface names are per namespace and at most 15 characters: `h<n>` in the hub, `ul0` in the host.
      this.bridgePort(HUB, `h${i + 1}`, host.name, 'ul0');
      this.addresses(host.name, 'ul0', [`${host.address}/24`]);
    });
  }

  host(name: string): LabHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host "${name}" in this lab (${[...this.hosts.keys()].join(', ')})`);
    return host;
  }

  /**
   * A script that runs `program` inside the host's namespace with the arguments it is given, for software that
   * takes a program path (the overlay agent's --nebula).
   */
  wrapper(hostName: string, program: string): string {
    this.assertUsable();
    const path = join(this.dir, `${program.replace(/\W/g, '_')}-in-${hostName}`);
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec '${this.host(hostName).netns}' '${program}' "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  override destroySync(): void {
    super.destroySync();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
