/**
 * The edge lab itself (test/helpers/edge-lab.ts): the LAN reaches the edge, the edge reaches the WAN, the WAN has no
 * route back to the LAN (so translated traffic is what the firewall tests prove), and destroy removes everything.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { EDGE_LAN, EDGE_WAN, EdgeLab, LAN_CLIENT, WAN_HOST } from '../helpers/edge-lab.js';

const PROGRAMS = ['ip', 'curl'];

test('the edge lab joins LAN, edge and WAN, and leaves nothing behind', { skip: skipUnlessPrograms(...PROGRAMS), timeout: 60_000 }, async () => {
  requirePrograms(...PROGRAMS);
  const lab = EdgeLab.create();
  try {
    await lab.serveHttp('edge', EDGE_LAN, 8080);
    await lab.serveHttp('wan', WAN_HOST, 8080);
    assert.equal(await lab.httpGet('lan', EDGE_LAN, 8080), `hello from ${EDGE_LAN} to ${LAN_CLIENT}`);
    assert.equal(await lab.httpGet('edge', WAN_HOST, 8080), `hello from ${WAN_HOST} to ${EDGE_WAN}`);
    assert.equal(await lab.httpGet('lan', WAN_HOST, 8080), null, 'the WAN has no route back to the LAN');
  } finally {
    await lab.destroy();
  }
  assert.deepEqual(lab.remaining(), []);
});
