/**
 * Seeds a fleet of enrolled devices into a stopped Rampart's data dir through the overlay's own service layer
 * (the same code POST /api/certificates/create runs: IPAM, a keypair, a signed certificate, the sealed key, a
 * revision bump). Thousands of API calls would take minutes; the polls the bench measures still go through the
 * real HTTP server afterwards. The work runs in a process of its own (this file, run as a script), so nothing the
 * bench process holds (sockets, timers, its own load generator) shares its event loop.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../../src/core/config/load.js';
import { prepareDatabase } from '../../src/core/index.js';
import { createDeviceTokens } from '../../src/modules/overlay/device/device-tokens.js';
import { createOverlayServices } from '../../src/modules/overlay/overlay.services.js';
import { builtinModules } from '../../src/modules/index.js';
import { createCoreFor } from '../../src/server.js';

const PROGRESS_EVERY = 5_000;
const BATCH = 1_000;

export interface SeededDevice {
  nodeId: string;
  token: string;
}

/** `count` nodes in the network, each with a device token as POST /api/device/enroll would hand out. */
export async function seedFleet(dataDir: string, networkId: string, count: number): Promise<SeededDevice[]> {
  const out = join(dataDir, 'fleet.json');
  const script = fileURLToPath(import.meta.url);
  // Its progress lines go to the bench's stderr as they come.
  const child = execFile(process.execPath, ['--import', 'tsx', script, dataDir, networkId, String(count), out], { maxBuffer: 1 << 20 });
  child.stderr?.pipe(process.stderr);
  await new Promise<void>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seeding the fleet exited with ${code}`)))));
  return JSON.parse(readFileSync(out, 'utf8')) as SeededDevice[];
}

async function seed(dataDir: string, networkId: string, count: number): Promise<SeededDevice[]> {
  const config = loadConfig({ env: {}, cwd: dataDir, file: join(dataDir, 'rampart.toml'), overrides: { data_dir: dataDir } });
  const core = createCoreFor(config, builtinModules(), { logger: pino({ level: 'silent' }) });
  try {
    await prepareDatabase(core);
    const overlay = createOverlayServices(core);
    const tokens = createDeviceTokens(core);
    const devices: SeededDevice[] = [];
    // Creates join an enclosing transaction (core/db: nested calls join the outer one), so a batch of them
    // commits once: on SQLite one WAL sync per batch instead of per node, which made 50,000 take many minutes.
    for (let start = 0; start < count; start += BATCH) {
      await core.db.transaction(async () => {
        for (let i = start; i < Math.min(count, start + BATCH); i++) {
          const node = await overlay.nodes.create({ networkId, hostname: `device-${i}`, groups: [i % 2 ? 'web' : 'db'] }, null);
          devices.push({ nodeId: node.node_id, token: '' });
        }
      });
      if (Math.floor((start + BATCH) / PROGRESS_EVERY) > Math.floor(start / PROGRESS_EVERY)) process.stderr.write(`  seeded ${Math.min(count, start + BATCH)}/${count} nodes\n`);
    }
    // The node's current token version (0: no code redeemed yet), as the token /api/device/enroll hands out carries it.
    for (const device of devices) device.token = await tokens.issue(device.nodeId, 0);
    return devices;
  } finally {
    await core.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dataDir, networkId, count, out] = process.argv.slice(2);
  writeFileSync(out, JSON.stringify(await seed(dataDir, networkId, Number(count))));
}
