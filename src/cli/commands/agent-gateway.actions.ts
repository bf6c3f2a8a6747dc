/** What `rampart agent gateway ...` does when it runs: imported by its command only then (agent-gateway.ts). */
import { enrollGateway, runGatewayAgent } from '../../agent/access/gateway-agent.js';
import { admissionUrlFor } from '../../agent/access/pools.js';
import { resolveStateDir } from '../../agent/access/state.js';
import { stderrLog } from '../../agent/overlay/log.js';
import { hostPort, operatorErrors, port, seconds, serverUrl, interfaceName, stopSignal, type EnrollFlagsBase, type RunFlagsBase } from './agent-access-shared.js';

export interface EnrollFlags extends EnrollFlagsBase {
  token: string;
  endpoint: string;
  admissionUrl?: string;
}

export interface RunFlags extends RunFlagsBase {
  listenPort: string;
  admissionListen?: string;
  pollInterval: string;
  meteringInterval: string;
  heartbeatInterval: string;
  push: boolean;
}

export async function enrollAction(flags: EnrollFlags): Promise<void> {
  const endpoint = hostPort('--endpoint', flags.endpoint);
  const server = serverUrl(flags.server);
  const stateDir = resolveStateDir('gateway', flags.stateDir);
  await operatorErrors(async () => {
    const state = await enrollGateway({
      server,
      token: flags.token,
      stateDir,
      name: flags.name,
      endpoint: flags.endpoint,
      admissionUrl: flags.admissionUrl ?? admissionUrlFor(endpoint.host, endpoint.port),
      ca_file: flags.caFile,
      insecure: flags.insecure,
    });
    process.stdout.write(`enrolled as gateway ${state.gateway_id} (pool ${state.pool_id ?? 'none'}); state written to ${stateDir}\n`);
  });
}

export async function runAction(flags: RunFlags): Promise<void> {
  const listenPort = port('--listen-port', flags.listenPort);
  const admission = hostPort('--admission-listen', flags.admissionListen ?? `0.0.0.0:${listenPort + 1}`);
  const ifname = interfaceName(flags.interface);
  const signal = stopSignal('the gateway');
  await operatorErrors(async () => {
    const code = await runGatewayAgent({
      stateDir: resolveStateDir('gateway', flags.stateDir),
      ifname,
      listenPort,
      admissionHost: admission.host,
      admissionPort: admission.port,
      pollIntervalMs: seconds('--poll-interval', flags.pollInterval),
      meteringIntervalMs: seconds('--metering-interval', flags.meteringInterval),
      heartbeatIntervalMs: seconds('--heartbeat-interval', flags.heartbeatInterval),
      push: flags.push,
      wireguardGo: flags.wireguardGo,
      log: stderrLog,
      signal,
    });
    process.exit(code);
  });
}

