import assert from 'node:assert/strict';
import { test } from 'node:test';
import { complianceScore, complianceState, rescanIntervalMinutes } from '../../src/modules/fleet/compliance-state/score.js';
import { controlIds, frameworkFamily, frameworkKeysColumn, matchesFramework } from '../../src/modules/fleet/compliance-state/frameworks.js';
import { classifyDrift } from '../../src/modules/fleet/scans/drift.js';
import { SCAN_CONFIG_DEFAULTS } from '../../src/modules/fleet/scans/scan-config.js';
import { decodeCursor, encodeCursor } from '../../src/modules/fleet/scans/scan-cursor.js';

test('the score counts passes over passes and failures only, and is null when nothing was graded', () => {
  assert.equal(complianceScore(3, 1), 75);
  assert.equal(complianceScore(2, 1), 66.7);
  assert.equal(complianceScore(0, 0), null);
  assert.equal(complianceScore(0, 4), 0);
});

test('bands follow the score: critical <20, non_compliant 20-49, partial 50-69, mostly_compliant 70-89, compliant >=90', () => {
  const bands = [null, 0, 19.9, 20, 49.9, 50, 69.9, 70, 89.9, 90, 100].map(complianceState);
  assert.deepEqual(bands, [
    'unknown', 'critical', 'critical', 'non_compliant', 'non_compliant', 'partial', 'partial', 'mostly_compliant', 'mostly_compliant', 'compliant', 'compliant',
  ]);
  assert.equal(rescanIntervalMinutes('critical', SCAN_CONFIG_DEFAULTS), 240);
  assert.equal(rescanIntervalMinutes('compliant', SCAN_CONFIG_DEFAULTS), 2880);
  assert.equal(rescanIntervalMinutes('unknown', SCAN_CONFIG_DEFAULTS), 360);
});

test('drift: down 10 or more is major, down 5 or more minor, up 5 or more an improvement, smaller moves nothing', () => {
  assert.equal(classifyDrift(80, 70), 'major');
  assert.equal(classifyDrift(80, 75), 'minor');
  assert.equal(classifyDrift(80, 76), null);
  assert.equal(classifyDrift(70, 75), 'improvement');
  assert.equal(classifyDrift(70, 74.9), null);
  assert.equal(classifyDrift(null, 50), null, 'a first scan has nothing to drift from');
});

test('a framework filter names a per-OS key or its family', () => {
  const refs = { cis_ubuntu2204: ['5.1.20'], cis_rhel9: ['5.1.19'], nist_800_53: ['AC-6(2)'] };
  assert.equal(frameworkFamily('stig_rhel9'), 'stig');
  assert.equal(frameworkFamily('nist_800_53'), 'nist_800_53');
  assert.ok(matchesFramework(refs, 'cis'));
  assert.ok(matchesFramework(refs, 'cis_rhel9'));
  assert.ok(!matchesFramework(refs, 'stig'));
  assert.deepEqual(controlIds(refs, 'cis'), ['5.1.20', '5.1.19']);
  assert.deepEqual(controlIds(refs, undefined), []);
  assert.equal(frameworkKeysColumn(refs), '|cis|cis_rhel9|cis_ubuntu2204|nist_800_53|');
});

test('scan cursors round-trip, accept an RFC 3339 time, and refuse anything else', () => {
  const key = { at: '2026-12-07T01:00:00.000Z', id: '6f1c5a8e-0000-4000-8000-000000000000' };
  assert.deepEqual(decodeCursor(encodeCursor(key)), key);
  assert.deepEqual(decodeCursor('2026-12-07T01:00:00Z'), { at: '2026-12-07T01:00:00.000Z', id: '' });
  assert.throws(() => decodeCursor('garbage'), /cursor/);
});
