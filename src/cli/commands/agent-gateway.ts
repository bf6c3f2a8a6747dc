/** `rampart agent gateway enroll|run`: a WireGuard gateway of the access module. The work is in src/agent/access/. */
import type { Command } from 'commander';
import { enrollGateway, runGatewayAgent } from '../../agent/access/gateway-agent.js';
import { admissionUrlFor } from '../../agent/access/pools.js';
import { DEFAULT_STATE_DIRS, resolveStateDir } from '../../agent/access/state.js';
import { stderrLog } from '../../agent/overlay/log.js';
import { agentCommand, hostPort, operatorErrors, port, seconds, serverUrl, interfaceName, stopSignal } from './agent-access-shared.js';

const STATE_DIR_HELP = `state directory (env RAMPART_AGENT_STATE_DIR); default ${DEFAULT_STATE_DIRS.gateway}`;

interface EnrollFlags {
  server: string;
  token: string;
  endpoint: string;
  admissionUrl?: string;
  name?: string;
  stateDir?: string;
  caFile?: string;
  insecure?: boolean;
}

interface RunFlags {
  stateDir?: string;
  interface: string;
  listenPort: string;
  admissionListen?: string;
  pollInterval: string;
  meteringInterval: string;
  heartbeatInterval: string;
  push: boolean;
  wireguardGo?: string;
}

async function enrollAction(flags: EnrollFlags): Promise<void> {
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

async function runAction(flags: RunFlags): Promise<void> {
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

export function registerAgentGatewayCommands(program: Command): void {
  const gateway = agentCommand(program)
    .command('gateway')
    .description('run a zero-trust access gateway: WireGuard (wireguard-go), admission of devices with valid SPCs, per-device nftables rules');

  gateway
    .command('enroll')
    .description('redeem a gateway enrollment token; the WireGuard key is generated here and stays in the state directory')
    .requiredOption('--server <url>', 'the Rampart server, e.g. https://rampart.example:8443')
    .requiredOption('--token <token>', 'a gateway enrollment token (kind gateway, bound to a pool)')
    .requiredOption('--endpoint <host:port>', 'where devices reach this gateway\'s WireGuard (UDP)')
    .option('--admission-url <url>', 'where devices present their SPC; default http://<endpoint host>:<endpoint port + 1>/v1/admit')
    .option('--name <name>', 'the gateway\'s name; default the hostname')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--ca-file <pem>', 'trust this certificate (PEM) for the server')
    .option('--insecure', 'do not verify the server\'s certificate')
    .action(enrollAction);

  gateway
    .command('run')
    .description('bring WireGuard up, admit devices on grants, enforce their destinations, follow the control plane\'s changes')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--interface <name>', 'the WireGuard interface (unique on the machine)', 'rampart-gw')
    .option('--listen-port <port>', 'the WireGuard UDP port', '51820')
    .option('--admission-listen <host:port>', 'the admission endpoint; default 0.0.0.0:<listen port + 1>')
    .option('--poll-interval <seconds>', 'seconds between pulls of the runtime routes (the fallback to the change push)', '30')
    .option('--metering-interval <seconds>', 'seconds per metering window', '60')
    .option('--heartbeat-interval <seconds>', 'seconds between heartbeats (devices are sent only to gateways whose heartbeats come)', '15')
    .option('--no-push', 'do not long-poll the control plane\'s change push; changes then land within one --poll-interval')
    .option('--wireguard-go <path>', 'the wireguard-go binary; default wireguard-go on PATH')
    .action(runAction);
}
