/**
 * The DNS proxy filling the real nft engine's sets: Rampart's table applied inside a network namespace by
 * E-dataplane's nft Dataplane (`ip netns exec <ns> nft`), dnsmasq upstream on 127.0.0.1, the proxy in this
 * process. An allowed answer's address must be in the rule's set, with timeout TTL + grace, by the time the
 * client has its answer; a denied name's address must be nowhere. The host's own ruleset is never touched.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pino from 'pino';
import { compilePolicy } from '../../src/modules/egress/compiler/compile.js';
import { NFT_FAMILY, NFT_TABLE } from '../../src/modules/egress/compiler/compiled.types.js';
import { createDnsCache } from '../../src/modules/egress/dns/dns-cache.js';
import { createDnsProxy, type DnsDenyFinding, type DnsProxy } from '../../src/modules/egress/dns/dns-proxy.js';
import { createNftDataplane } from '../../src/modules/egress/dataplane/nft.js';
import { addresses, LOCAL_TTL, startDnsmasq, udpQuery } from '../helpers/dns-lab.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { NetnsLab } from '../helpers/netns.js';

const GRACE = 30;
let lab: NetnsLab | undefined;
let upstream: Awaited<ReturnType<typeof startDnsmasq>> | undefined;
let proxy: DnsProxy | undefined;
after(async () => {
  await proxy?.stop();
  upstream?.proc.kill('SIGKILL');
  await lab?.destroy();
});

/** The elements of one of Rampart's sets in the namespace, with the seconds each has left. */
function setElements(set: string): Map<string, number> {
  const out = lab!.exec('gw', 'nft', ['-j', 'list', 'set', NFT_FAMILY, NFT_TABLE, set]);
  assert.equal(out.status, 0, out.output);
  const json = JSON.parse(out.stdout) as { nftables: Array<{ set?: { elem?: Array<string | { elem: { val: string; expires?: number } }> } }> };
  const elements = json.nftables.find((e) => e.set)?.set?.elem ?? [];
  return new Map(elements.map((e) => (typeof e === 'string' ? [e, Infinity] : [e.elem.val, e.elem.expires ?? Infinity])));
}

test('answers of allowed names land in the real nft set before the client gets them', { skip: skipUnlessPrograms('ip', 'nft', 'dnsmasq') }, async () => {
  requirePrograms('ip', 'nft', 'dnsmasq');
  lab = NetnsLab.create(['gw']);
  const dataplane = createNftDataplane({ nftCommand: ['ip', 'netns', 'exec', lab.host('gw').netns, 'nft'] });
  const compiled = compilePolicy({
    generation: 1,
    default_policy: 'deny',
    groups: [{
      id: 'office', policy_id: 'pol-1', mode: 'enforce', sources: ['127.0.0.1/32'], default_action: 'deny',
      rules: [{ id: 'allow-api', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$' } }],
    }],
  });
  await dataplane.apply(compiled);
  const set = compiled.dns.groups[0].rules.find((r) => r.id === 'allow-api')?.set;
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
  const table = lab.exec('gw', 'nft', ['list', 'table', NFT_FAMILY, NFT_TABLE]).stdout;
  assert.ok(!table.includes('203.0.113.20'), 'the denied name\'s address is in no set');
  assert.deepEqual(findings.map((f) => [f.finding_type, f.source_group, f.hostname]), [['dns_deny', 'office', 'blocked.example.com']]);
});
