import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrWithin, isDestination } from '../../src/modules/access/gateways/cidr.js';
import { verdictOf } from '../../src/modules/access/gateways/connection-truth.js';
import { parseEndpoint } from '../../src/modules/access/gateways/gateway.service.js';
import { gatewayStatus } from '../../src/modules/access/gateways/gateway-status.js';

test('grants are narrowed to pool destinations by CIDR containment', () => {
  assert.equal(cidrWithin('10.233.1.0/24', '10.233.0.0/16'), true);
  assert.equal(cidrWithin('10.233.1.7', '10.233.1.0/24'), true);
  assert.equal(cidrWithin('10.233.0.0/16', '10.233.1.0/24'), false, 'wider than the pool');
  assert.equal(cidrWithin('10.234.1.0/24', '10.233.0.0/16'), false);
  assert.equal(cidrWithin('10.1.2.3/32', '0.0.0.0/0'), true);
  assert.equal(cidrWithin('intranet.example.com', 'INTRANET.example.com'), true, 'names match themselves only');
  assert.equal(cidrWithin('intranet.example.com', '10.0.0.0/8'), false);
  for (const ok of ['10.0.0.0/8', '10.1.2.3', 'fd00::/8', 'db.example.com', '*.example.com']) assert.equal(isDestination(ok), true, ok);
  for (const bad of ['10.0.0.0/33', '300.1.1.1', 'not a cidr', '']) assert.equal(isDestination(bad), false, bad);
});

test('gateway status from the heartbeat age and what it says of itself', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
  assert.equal(gatewayStatus({ last_heartbeat_at: null, reported_status: 'ok' }, now), 'pending');
  assert.equal(gatewayStatus({ last_heartbeat_at: ago(10), reported_status: 'ok' }, now), 'online');
  assert.equal(gatewayStatus({ last_heartbeat_at: ago(10), reported_status: 'degraded' }, now), 'degraded');
  assert.equal(gatewayStatus({ last_heartbeat_at: ago(46), reported_status: 'ok' }, now), 'degraded');
  assert.equal(gatewayStatus({ last_heartbeat_at: ago(121), reported_status: 'ok' }, now), 'offline');
});

test('connection truth verdicts', () => {
  assert.equal(verdictOf('allowed', 'connected', true), 'consistent');
  assert.equal(verdictOf('denied', 'connected', false, 'device_revoked'), 'revoked_but_connected');
  assert.equal(verdictOf('denied', 'connected', true, 'device_unknown'), 'ghost_session');
  assert.equal(verdictOf('allowed', 'connected', false), 'ghost_session');
  assert.equal(verdictOf('allowed', 'absent', true), 'missing_session');
});

test('gateway endpoints are host:port', () => {
  assert.deepEqual(parseEndpoint('10.233.0.1:51820'), { host: '10.233.0.1', port: 51820 });
  assert.deepEqual(parseEndpoint('[fd00::1]:51820'), { host: 'fd00::1', port: 51820 });
  assert.deepEqual(parseEndpoint('gw.example.com:443'), { host: 'gw.example.com', port: 443 });
  for (const bad of ['gw.example.com', '10.0.0.1:0', '10.0.0.1:70000', 'a b:1']) assert.throws(() => parseEndpoint(bad), /host:port/, bad);
});
