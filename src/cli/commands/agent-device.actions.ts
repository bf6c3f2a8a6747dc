/** What `rampart agent device ...` does when it runs: imported by its command only then (agent-device.ts). */
import { enrollDevice, runDeviceAgent } from '../../agent/access/device-agent.js';
import { OidcLoginError } from '../../agent/access/oidc-login.js';
import { resolveStateDir } from '../../agent/access/state.js';
import { checkForUpdate, UpdateRefused } from '../../agent/access/update.js';
import { stderrLog } from '../../agent/overlay/log.js';
import { fail } from '../fail.js';
import { operatorErrors, seconds, serverUrl, interfaceName, stopSignal, type EnrollFlagsBase, type RunFlagsBase } from './agent-access-shared.js';

export interface EnrollFlags extends EnrollFlagsBase {
  token?: string;
  oidcProvider?: string;
  redirectUri: string;
}

export interface RunFlags extends RunFlagsBase {
  postureInterval: string;
  telemetryInterval: string;
  policyInterval: string;
  postureFile?: string;
  updateInterval: string;
  updateChannel: string;
}

export async function enrollAction(flags: EnrollFlags): Promise<void> {
  if (!flags.oidcProvider === !flags.token) fail('give either --token or --oidc-provider');
  const say = (line: string) => void process.stdout.write(`${line}\n`);
  const oidc = flags.oidcProvider ? { provider_id: flags.oidcProvider, redirect_uri: flags.redirectUri, say } : undefined;
  const server = serverUrl(flags.server);
  const stateDir = resolveStateDir('device', flags.stateDir);
  await operatorErrors(async () => {
    try {
      const state = await enrollDevice({ server, token: flags.token, oidc, stateDir, name: flags.name, ca_file: flags.caFile, insecure: flags.insecure });
      process.stdout.write(`enrolled as device ${state.device_id} at ${state.overlay_ip}; state written to ${stateDir}\n`);
    } catch (err) {
      if (err instanceof OidcLoginError) fail(err.message);
      throw err;
    }
  });
}

export async function runAction(flags: RunFlags): Promise<void> {
  const ifname = interfaceName(flags.interface);
  const signal = stopSignal('the device tunnel');
  await operatorErrors(async () => {
    const code = await runDeviceAgent({
      stateDir: resolveStateDir('device', flags.stateDir),
      ifname,
      postureIntervalMs: seconds('--posture-interval', flags.postureInterval),
      telemetryIntervalMs: seconds('--telemetry-interval', flags.telemetryInterval),
      policyIntervalMs: seconds('--policy-interval', flags.policyInterval),
      postureFile: flags.postureFile,
      wireguardGo: flags.wireguardGo,
      updateIntervalMs: flags.updateInterval === '0' ? 0 : seconds('--update-interval', flags.updateInterval),
      updateChannel: flags.updateChannel,
      log: stderrLog,
      signal,
    });
    process.exit(code);
  });
}

export interface UpdateFlags {
  stateDir?: string;
  check?: boolean;
  dryRun?: boolean;
  platform?: string;
  channel?: string;
  publicKey?: string;
  installPath?: string;
}

export async function updateAction(flags: UpdateFlags): Promise<void> {
  if (!flags.check) fail('give --check (check the signed manifest and apply a newer verified package)');
  await operatorErrors(async () => {
    try {
      const r = await checkForUpdate({
        stateDir: resolveStateDir('device', flags.stateDir), platform: flags.platform, channel: flags.channel,
        publicKey: flags.publicKey, installPath: flags.installPath, checkOnly: flags.dryRun,
      });
      if (r.status === 'applied') process.stdout.write(`updated ${r.previous} -> ${r.version}: verified package staged at ${r.path}; restart the agent to run it\n`);
      else if (r.status === 'available') process.stdout.write(`update available: ${r.available} (running ${r.version}); nothing applied (--dry-run)\n`);
      else process.stdout.write(`up to date: ${r.version} (the server offers ${r.available})\n`);
    } catch (err) {
      if (err instanceof UpdateRefused) fail(`update refused, nothing applied: ${err.message}`);
      throw err;
    }
  });
}

