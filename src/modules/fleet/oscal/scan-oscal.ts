import { versionInfo } from '../../../version.js';
import type { Scanning } from '../scans/scanning.js';
import { assessmentResults } from './assessment-results.js';
import type { AssessmentResultsDocument } from './oscal.types.js';

/**
 * A stored scan as an OSCAL assessment-results document, whole or narrowed to one rule (404 scans.rule_not_found
 * when the scan did not evaluate it). Read from the scan's results and evidence as recorded: nothing touches the
 * host. A scan of a host deleted since still exports, with the stored host row (soft delete keeps it).
 */
export async function scanOscal(scanning: Scanning, scanId: string, ruleId?: string): Promise<{ document: AssessmentResultsDocument; fileName: string }> {
  const run = await scanning.scans.get(scanId);
  const [results, catalog, host] = await Promise.all([
    scanning.scans.evidence(run.id, ruleId),
    scanning.ruleCatalog(),
    scanning.scans.hostOf(run.host_id),
  ]);
  const document = assessmentResults({
    scan: run,
    host: host ?? { id: run.host_id, hostname: run.host_id, ip_address: null },
    results: results.map((r) => ({ ...r, description: catalog.get(r.rule_id)?.description ?? '' })),
    ruleId,
    generatedAt: scanning.now().toISOString(),
    rampartVersion: versionInfo.rampart,
  });
  return { document, fileName: ruleId ? `oscal-${run.id}-${ruleId.replace(/[^A-Za-z0-9._-]/g, '_')}.json` : `oscal-${run.id}.json` };
}
