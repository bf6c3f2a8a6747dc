/** The gateway's data plane for the grant table: peers on the WireGuard interface, rules in the nft table. */
import type { CommandRunner } from './exec.js';
import type { GatewayDataplane } from './grants.js';
import type { NftEnforcer } from './nft.js';
import type { WireguardInterface } from './wireguard.js';

export function wireguardDataplane(runner: CommandRunner, wg: WireguardInterface, nft: NftEnforcer): GatewayDataplane {
  return {
    async addPeer(publicKey, overlayIp) {
      await wg.setPeer({ public_key: publicKey, allowed_ips: [`${overlayIp}/32`] });
      await wg.replaceRoute(`${overlayIp}/32`);
    },
    async removePeer(publicKey, overlayIp) {
      await wg.removePeer(publicKey);
      // Gone already when the interface restarted; nothing to undo then.
      await runner.run('ip', ['route', 'del', `${overlayIp}/32`, 'dev', wg.ifname]);
    },
    applyRules: (devices) => nft.apply(devices),
    forget: (overlayIp) => nft.forget(overlayIp),
  };
}
