import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../../core/config/load.js';
import { trustedProxiesOf, type RampartConfig } from '../../core/config/schema.js';
import { NewerDatabaseError } from '../../core/db/migrator.js';
import type { Logger } from '../../core/logger.js';
import { prepareDatabase } from '../../core/index.js';
import { createMetricsServer } from '../../http/metrics.js';
import { loadOrCreateTls } from '../../http/tls.js';
import { createRampart, type Rampart } from '../../server.js';
import type { RampartModule } from '../../modules/module.js';
import { formatUrl, parseListenAddress, unixSocketPath } from '../listen-address.js';

export interface RunningServer {
  rampart: Rampart;
  url: string;
  metricsUrl: string;
  /** Stops accepting, finishes in-flight work within the configured bound, closes the database. */
  shutdown(reason: string): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  modules?: RampartModule[];
}

/** Everything `rampart serve` does before it waits for a signal, which ends it (exitOnSignals). */
export async function startServer(config: RampartConfig, opts: StartOptions): Promise<RunningServer> {
  const { logger } = opts;
  const tls = config.server.insecure_http
    ? undefined
    : await loadOrCreateTls({ certFile: config.tls.cert_file, keyFile: config.tls.key_file, dataDir: config.data_dir });
  if (!tls) {
    const proxies = trustedProxiesOf(config);
    if (proxies.length) logger.warn({ trusted_proxies: proxies }, 'serving plain HTTP (--insecure-http) behind the trusted proxies');
    // Without a trusted proxy saying https, cookies go without Secure: say so rather than let logins break quietly.
    else logger.warn('serving plain HTTP (--insecure-http) and no server.trusted_proxies: cookies will not be Secure and X-Forwarded-* is ignored');
  }
  else if (tls.generated) logger.info({ cert_file: tls.certFile }, 'generated a self-signed TLS certificate');
  if (tls) logger.info({ sha256_fingerprint: tls.fingerprint }, 'TLS certificate fingerprint (SHA-256)');

  const rampart = await createRampart(config, { logger, extraModules: opts.modules, tls });
  logger.info({ database: rampart.core.db.location }, 'opening database');
  const { applied } = await prepareDatabase(rampart.core);
  if (applied.length) logger.info({ applied }, 'applied database migrations');
  if (config.auth.bootstrap_admin) {
    const admin = await rampart.core.identity.bootstrap();
    // Printed once, outside the log stream, so log shippers never carry it.
    if (admin) {
      process.stderr.write(
        `\nRampart created the first administrator.\n  username: ${admin.username}\n  password: ${admin.password}\n` +
          `It is also in ${admin.file} (0600); delete that file once you have changed the password.\n` +
          `Sign in to the web console at the URL logged once Rampart serves; it asks you to choose a new password first.\n\n`,
      );
    }
  }

  const socketPath = unixSocketPath(config.server.listen);
  let url: string;
  if (socketPath) {
    rmSync(socketPath, { force: true }); // a socket file left by a previous run would make the bind fail
    await listenOrExplain('server.listen', config.server.listen, () => rampart.app.listen({ path: socketPath }));
    url = `${tls ? 'https' : 'http'}+unix:${socketPath}`;
  } else {
    const listen = parseListenAddress(config.server.listen);
    await listenOrExplain('server.listen', config.server.listen, () => rampart.app.listen({ host: listen.host, port: listen.port }));
    url = formatUrl(tls ? 'https' : 'http', listen.host, (rampart.app.server.address() as AddressInfo).port);
  }

  const metricsServer = createMetricsServer(rampart.metrics);
  const metricsAddress = parseListenAddress(config.server.metrics_listen);
  await listenOrExplain('server.metrics_listen', config.server.metrics_listen, () =>
    new Promise<void>((resolve, reject) => {
      metricsServer.once('error', reject).listen(metricsAddress.port, metricsAddress.host, () => resolve());
    }),
  );
  const metricsUrl = `${formatUrl('http', metricsAddress.host, (metricsServer.address() as AddressInfo).port)}/metrics`;
  await rampart.startBackground();

  let stopping: Promise<void> | undefined;
  const server: RunningServer = {
    rampart,
    url,
    metricsUrl,
    shutdown(reason) {
      stopping ??= shutdown(rampart, metricsServer, config.server.shutdown_timeout_ms, logger, reason);
      return stopping;
    },
  };
  // Before the line that says it is serving: whoever waits for that line may signal at once, and a SIGTERM that
  // arrived before the handler would kill the process without the graceful shutdown.
  exitOnSignals(server, logger);
  logger.info({ url, console: socketPath ? null : `${url}/`, metrics: metricsUrl }, 'Rampart is serving');
  return server;
}

/** A listener that cannot bind is a configuration problem: say which key and why, not a stack trace. */
async function listenOrExplain(key: string, address: string, listen: () => Promise<unknown>): Promise<void> {
  try {
    await listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new ConfigError(key, `cannot listen on ${address}: ${why}`);
  }
}

async function shutdown(rampart: Rampart, metricsServer: Server, boundMs: number, logger: Logger, reason: string) {
  logger.info({ reason, bound_ms: boundMs }, 'shutting down: no new connections, finishing in-flight requests');
  const timer = setTimeout(() => {
    logger.warn('in-flight requests did not finish in time; closing their connections');
    rampart.app.server.closeAllConnections();
  }, boundMs);
  try {
    await rampart.app.close();
  } finally {
    clearTimeout(timer);
  }
  await rampart.stopBackground(boundMs);
  await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
  await rampart.core.close();
  logger.info('stopped');
}

/** SIGTERM/SIGINT start a graceful shutdown; a second signal exits at once. */
function exitOnSignals(server: RunningServer, logger: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    server.shutdown(signal).then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

export async function serveCommand(config: RampartConfig, logger: Logger): Promise<void> {
  try {
    await startServer(config, { logger });
  } catch (err) {
    if (err instanceof NewerDatabaseError) {
      logger.fatal(err.message);
      process.exit(1);
    }
    throw err;
  }
}
