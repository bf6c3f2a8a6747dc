import { RampartError } from '../../../core/errors.js';
import type { ScanRun } from './scan-runs.store.js';

/** The fleet's error codes, spelled as OpenWatch's handlers emit them. */
export const scanErrors = {
  hostNotFound: (id: string) => new RampartError({ code: 'hosts.not_found', status: 404, message: `host ${id} not found` }),
  scanNotFound: (id: string) => new RampartError({ code: 'scans.not_found', status: 404, message: `scan ${id} not found` }),
  ruleNotInScan: (scanId: string, ruleId: string) =>
    new RampartError({ code: 'scans.rule_not_found', status: 404, message: `scan ${scanId} has no result for rule ${ruleId}` }),
  scanActive: (active: ScanRun | undefined) =>
    new RampartError({
      code: 'conflict.scan_active',
      status: 409,
      message: active
        ? `host ${active.host_id} already has a ${active.status} scan: ${active.id}`
        : 'the host already has a queued or running scan',
      details: active ? { scan_id: active.id, status: active.status, host_id: active.host_id } : undefined,
    }),
  notActive: (run: ScanRun) =>
    new RampartError({
      code: 'conflict.scan_not_active',
      status: 409,
      message: `scan ${run.id} has already ${run.status === 'completed' ? 'completed' : 'ended'}: only a queued or running scan can be cancelled`,
      details: { scan_id: run.id, status: run.status },
    }),
};
