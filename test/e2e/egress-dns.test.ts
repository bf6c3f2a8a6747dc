/**
 * The DNS proxy filling the real nft engine's sets: Rampart's table applied inside a network namespace by
 * E-dataplane's nft Dataplane (`ip netns exec <ns> nft`), dnsmasq upstream on 127.0.0.1, the proxy in this
 * process. An allowed answer's address must be in the rule's set, with timeout TTL + grace, by the time the
 * client has its answer; a denied name's address must be nowhere. The host's own ruleset is never touched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { compilePolicy } from '../../src/modules/egress/compiler/compile.js';
import { NFT_FAMILY, NFT_TABLE } from '../../src/modules/egress/compiler/compiled.types.js';
import { createDnsCache } from '../../src/modules/egress/dns/dns-cache.js';
import { createDnsProxy, type DnsDenyFinding, type DnsProxy } from '../../src/modules/egress/dns/dns-proxy.js';
import { createNftDataplane } from '../../src/modules/egress/dataplane/nft.js';
import { addresses, bigAddresses, LOCAL_TTL, startDnsmasq, udpQuery } from '../helpers/dns-lab.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { NetnsLab } from '../helpers/netns.js';

const GRACE = 30;
let lab: NetnsLab | undefined;
let upstream: Awaited<ReturnType<typeof startDnsmasq>> | undefined;
let proxy: DnsProxy | undefined;
let tmp: string | undefined;
after(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await proxy?.stop();
  upstream?.proc.kill('SIGKILL');
  await lab?.destroy();
});

/** The elements of one of Rampart's sets in the namespace, with the seconds each has left. */
function setElements(set: string): Map<string, number> {
  const out = lab!.exec('gw', 'nft', ['-j', 'list', 'set', NFT_FAMILY, NFT_TABLE, set], true);
  assert.equal(out.status, 0, out.output);
  const json = JSON.parse(out.stdout) as { nftables: Array<{ set?: { elem?: Array<string | { elem: { val: string; expires?: number } }> } }> };
  const elements = json.nftables.find((e) => e.set)?.set?.elem ?? [];
  return new Map(elements.map((e) => (typeof e === 'string' ? [e, Infinity] : [e.elem.val, e.elem.expires ?? Infinity])));
}

test('answers of allowed names land in the real nft set before the client gets them; known addresses cost no nft call', { skip: skipUnlessPrograms('ip', 'nft', 'dnsmasq') }, async () => {
  requirePrograms('ip', 'nft', 'dnsmasq');
  lab = NetnsLab.create(['gw']);
  // Each nft run appends a line to nftCalls: what the warm path must not add to.
  tmp = mkdtempSync(join(tmpdir(), 'rampart-dns-e2e-'));
  const nftCalls = join(tmp, 'nft-calls');
  writeFileSync(nftCalls, '');
  const nftRuns = () => readFileSync(nftCalls, 'utf8').length;
  const engine = createNftDataplane({ nftCommand: ['sh', '-c', 'echo >> "$0"; exec "$@"', nftCalls, 'ip', 'netns', 'exec', lab.host('gw').netns, 'nft'] });
  // The real engine, watched: which addresses nft has confirmed, so a client can check its answer came after.
  const confirmed = new Set<string>();
  const dataplane = {
    ...engine,
    learn: async (set: string, ips: string[], seconds: number) => {
      await engine.learn(set, ips, seconds);
      ips.forEach((ip) => confirmed.add(ip));
    },
  };
  const compiled = compilePolicy({
    generation: 1,
    default_policy: 'deny',
    groups: [{
      id: 'office', policy_id: 'pol-1', mode: 'enforce', sources: ['127.0.0.1/32'], default_action: 'deny',
      rules: [
        { id: 'allow-api', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$' } },
        { id: 'allow-more', action: 'allow', match: { dns_hostname: '^(web|alias|big)\\.example\\.com$' } },
      ],
    }],
  });
  await dataplane.apply(compiled);
  const binding = compiled.dns.groups[0].rules.find((r) => r.id === 'allow-api')?.set;
  // Both rules' addresses go into one nft set (same group, same shape).
  const set = compiled.learned?.find((b) => b.name === binding)?.set ?? binding;
  assert.ok(set, 'the allow rule has a learned set');
  assert.equal(setElements(set).size, 0);

  upstream = await startDnsmasq();
  const findings: DnsDenyFinding[] = [];
  proxy = await createDnsProxy({
    listen: '127.0.0.1:0', upstreams: [`127.0.0.1:${upstream.port}`], upstreamTimeoutMs: 2_000, ttlGraceS: GRACE, nodeId: 'gw',
    dnsPolicy: () => compiled.dns, dataplane: () => dataplane, findings: { record: (f) => findings.push(f) }, cache: createDnsCache(),
    logger: pino({ level: 'silent' }), now: () => new Date(),
  });

  const allowed = await udpQuery(proxy.address.port, 'api.example.com', 'A');
  assert.deepEqual(addresses(allowed.packet), ['203.0.113.10']);
  const elements = setElements(set); // read right after the answer: it must already be there
  assert.deepEqual([...elements.keys()], ['203.0.113.10']);
  const left = elements.get('203.0.113.10')!;
  assert.ok(left > LOCAL_TTL && left <= LOCAL_TTL + GRACE, `expires in ${left}s, expected TTL ${LOCAL_TTL} + grace ${GRACE}`);

  const denied = await udpQuery(proxy.address.port, 'blocked.example.com', 'A');
  assert.equal(denied.packet.rcode, 'NXDOMAIN');
  assert.deepEqual([...setElements(set).keys()], ['203.0.113.10']);
  const table = lab.exec('gw', 'nft', ['list', 'table', NFT_FAMILY, NFT_TABLE], true).stdout;
  assert.ok(!table.includes('203.0.113.20'), 'the denied name\'s address is in no set');
  assert.deepEqual(findings.map((f) => [f.finding_type, f.source_group, f.hostname]), [['dns_deny', 'office', 'blocked.example.com']]);

  // Names asked at once: each client's addresses were confirmed by nft before its answer arrived.
  const names = ['web.example.com', 'alias.example.com', 'big.example.com', 'web.example.com', 'big.example.com'];
  await Promise.all(names.map(async (name) => {
    const reply = await udpQuery(proxy!.address.port, name, 'A', { edns: 4096 });
    const ips = addresses(reply.packet);
    assert.ok(ips.length > 0, name);
    assert.deepEqual(ips.filter((ip) => !confirmed.has(ip)), [], `${name}: answered before nft had its addresses`);
  }));
  const held = setElements(set);
  for (const ip of ['203.0.113.30', ...bigAddresses]) assert.ok(held.has(ip), `${ip} in the set`);

  // Known addresses: answered from the cache without waiting for (or calling) nft.
  const [before, hits] = [nftRuns(), proxy.stats().cache_hits];
  const warm = await Promise.all(Array.from({ length: 50 }, (_, i) => udpQuery(proxy!.address.port, i % 2 ? 'api.example.com' : 'alias.example.com', 'A', i % 2 ? {} : { edns: 4096 })));
  assert.deepEqual([...new Set(warm.map((r) => addresses(r.packet).join()))].sort(), ['203.0.113.10', '203.0.113.30']);
  assert.equal(nftRuns(), before, 'no nft call for addresses the set already holds');
  assert.equal(proxy.stats().cache_hits - hits, 50, 'every one answered from the cache');
});
