import type { RampartConfig } from '../../core/config/schema.js';
import { isUuid } from '../../core/db/ids.js';
import { NewerDatabaseError } from '../../core/db/migrator.js';
import { isRampartError } from '../../core/errors.js';
import { createCoreWorker, prepareDatabase, type Core } from '../../core/index.js';
import type { Logger } from '../../core/logger.js';
import { fleetServices } from '../../modules/fleet/fleet.services.js';
import type { ScanRun } from '../../modules/fleet/scans/scan-runs.store.js';
import { builtinModules } from '../../modules/index.js';
import { createCoreFor } from '../../server.js';
import { fail } from '../fail.js';

export interface FleetScanOptions {
  wait?: boolean;
  framework?: string;
  /** Give up waiting after this many seconds. */
  timeout?: string;
}

/** The live host a command-line argument names: its id, or its hostname when that is unique among live hosts. */
async function findHost(core: Core, ref: string): Promise<{ id: string; hostname: string }> {
  const q = core.db.kysely.selectFrom('fleet_hosts').select(['id', 'hostname', 'environment']).where('deleted_at', 'is', null);
  const rows = isUuid(ref) ? await q.where('id', '=', ref).execute() : await q.where('hostname', '=', ref).execute();
  if (rows.length === 0) fail(`no host ${ref}`);
  if (rows.length > 1) fail(`${rows.length} hosts are named ${ref} (environments ${rows.map((r) => r.environment).join(', ')}); give its id`);
  return rows[0]!;
}

function summary(run: ScanRun, hostname: string): string {
  const lines = [
    `scan ${run.id} of ${hostname}: ${run.status}`,
    run.status === 'completed'
      ? `score ${run.score ?? 'n/a'}: ${run.rules_pass} pass, ${run.rules_fail} fail, ${run.rules_skipped} skipped, ${run.rules_error} error (rules ${run.policy_version})`
      : run.failure_reason
        ? `reason: ${run.failure_reason}`
        : `queued at ${run.queued_at}; a worker (rampart serve or rampart worker) runs it`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `rampart fleet scan HOST`: queues an on-demand scan of the host (hostname or id) and prints it. With --wait it
 * runs the queued jobs in this process until the scan has finished, then prints its outcome and failing rules.
 */
export async function fleetScanCommand(config: RampartConfig, logger: Logger, hostRef: string, opts: FleetScanOptions): Promise<void> {
  const core = createCoreFor(config, builtinModules(), { logger });
  try {
    await prepareDatabase(core);
    const host = await findHost(core, hostRef);
    const { scanning } = fleetServices(core);
    const run = await core.db.transaction(async () => {
      const queued = await scanning.scans.request(host.id, { trigger: 'on_demand', requestedBy: null, correlationId: null, framework: opts.framework ?? null });
      await core.audit.record({
        actor: { type: 'system', id: null, name: 'rampart fleet scan' },
        action: 'compliance.scan.requested',
        resource: { type: 'scan', id: queued.id },
        result: 'success',
        details: { host_id: host.id, framework: queued.framework },
      });
      return queued;
    });
    if (!opts.wait) {
      process.stdout.write(summary(run, host.hostname));
      return;
    }
    const finished = await runUntilFinished(core, run.id, Number(opts.timeout ?? 600) * 1000);
    process.stdout.write(summary(finished, host.hostname));
    const failing = (await scanning.scans.results(run.id)).filter((r) => r.status === 'fail' || r.status === 'error');
    for (const r of failing) process.stdout.write(`  ${r.status.padEnd(5)} ${r.severity.padEnd(8)} ${r.rule_id}  ${r.title}\n`);
    if (finished.status !== 'completed') process.exitCode = 1;
  } catch (err) {
    if (err instanceof NewerDatabaseError) fail(err.message);
    if (isRampartError(err) && err.status < 500) fail(err.message);
    throw err;
  } finally {
    await core.close();
  }
}

/** Runs due jobs here until the scan is completed or failed (a retried attempt waits for its backoff). */
async function runUntilFinished(core: Core, scanId: string, timeoutMs: number): Promise<ScanRun> {
  const worker = createCoreWorker(core);
  const deadline = Date.now() + timeoutMs;
  const { runs } = fleetServices(core).scanning;
  for (;;) {
    const run = await runs.get(scanId);
    if (run && (run.status === 'completed' || run.status === 'failed')) return run;
    if (Date.now() > deadline) fail(`scan ${scanId} has not finished after ${timeoutMs / 1000} s; it stays queued`);
    if ((await worker.runOnce()) === 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
