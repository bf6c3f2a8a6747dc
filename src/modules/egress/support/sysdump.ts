import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { lazyRequire } from '../../../core/lazy-require.js';
import { redactConfig } from '../../../core/config/load.js';
import type { Core } from '../../../core/index.js';
import { versionInfo } from '../../../version.js';
import type { Dataplane } from '../dataplane/dataplane.types.js';
import { collectStats, type StatsSources } from './stats.js';

/** tar-stream and its stream stack, loaded when a support dump is asked for (lazy-require.ts). */
const tarStream = lazyRequire<typeof import('tar-stream')>('tar-stream');

const gzipAsync = promisify(gzip);
/** Audit rows in recent-logs.txt. */
const RECENT_EVENTS = 200;

export interface SysdumpSources extends StatsSources {
  core: Pick<Core, 'config' | 'audit' | 'now'>;
  dataplane: Pick<Dataplane, 'ruleset'> | null;
  policies: { list(): Promise<unknown[]>; effective(): Promise<{ generation: number }> };
  integrations: { list(): Promise<unknown[]> };
  runtime: StatsSources['runtime'];
}

export interface Sysdump {
  fileName: string;
  archive: Buffer;
}

/**
 * A node's support archive (tar.gz): the effective configuration with secrets redacted (as `rampart check-config`
 * prints it), the stats snapshot, the live nft ruleset, the policies and sanitized integrations, and the most
 * recent audit events. Rampart keeps no in-memory log ring, so recent-logs.txt holds audit events: the process
 * log goes to stdout and is collected by whatever runs Rampart (journald, docker logs).
 */
export async function buildSysdump(s: SysdumpSources): Promise<Sysdump> {
  const createdAt = s.core.now();
  const stats = await collectStats(s);
  const nodeId = stats.dataplane.node_id;
  const files: [string, string][] = [
    ['config.json', json(redactConfig(s.core.config))],
    ['stats.json', json(stats)],
    ['ruleset.nft', await ruleset(s.dataplane)],
    ['recent-logs.txt', await recentEvents(s.core)],
    ['policies.json', json(await s.policies.list())],
    ['integrations.json', json(await s.integrations.list())],
  ];
  files.unshift(['manifest.json', json({ node_id: nodeId, created_at: createdAt.toISOString(), rampart: versionInfo, files: files.map(([name]) => name) })]);
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const dir = `sysdump-${safe(nodeId)}-${stamp}`;
  return { fileName: `${dir}.tar.gz`, archive: await gzipAsync(await tar(dir, files, createdAt)) };
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_') || 'node';

async function ruleset(dataplane: SysdumpSources['dataplane']): Promise<string> {
  if (!dataplane) return '# the data plane is not enabled on this node (dataplane.enabled = false): no ruleset is applied\n';
  try {
    return await dataplane.ruleset();
  } catch (err) {
    return `# reading the ruleset failed: ${(err as Error).message}\n`;
  }
}

async function recentEvents(core: SysdumpSources['core']): Promise<string> {
  const { items } = await core.audit.list({}, { limit: RECENT_EVENTS });
  const header =
    `# The ${RECENT_EVENTS} most recent audit events, newest first. Rampart keeps no in-memory log buffer: the process\n` +
    '# log goes to stdout (collect it with journalctl -u rampart or docker logs).\n';
  return header + items.map((e) => JSON.stringify(e)).join('\n') + '\n';
}

function tar(dir: string, files: [string, string][], mtime: Date): Promise<Buffer> {
  const archive = tarStream().pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
  });
  for (const [name, content] of files) archive.entry({ name: `${dir}/${name}`, mode: 0o600, mtime }, content);
  archive.finalize();
  return done;
}
