import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface SyslogTarget {
  host: string;
  port: number;
  transport: 'tcp' | 'tls' | 'udp';
  /** PEM of the CA that signed the receiver's certificate (tls); the system's roots when absent. */
  ca_pem?: string | null;
  /** Name checked against the receiver's certificate (tls); the host when absent. */
  server_name?: string | null;
}

const TIMEOUT_MS = 10_000;
/** RFC 5426 asks receivers for 480 octets at least and 2048 should work; longer datagrams are cut there. */
const UDP_MAX = 8_192;

/**
 * Sends RFC 5424 messages: over TCP and TLS with RFC 6587/5425 octet counting ("LEN SP MSG", so a message may hold
 * any byte), over UDP one message per datagram (RFC 5426). A stream send succeeds once every byte was handed to
 * the kernel and the connection closed cleanly: syslog has no acknowledgement.
 */
export async function sendSyslog(target: SyslogTarget, lines: string[]): Promise<void> {
  if (target.transport === 'udp') return sendUdp(target, lines);
  const payload = Buffer.concat(lines.map((line) => {
    const msg = Buffer.from(line, 'utf8');
    return Buffer.concat([Buffer.from(`${msg.length} `), msg]);
  }));
  await new Promise<void>((resolve, reject) => {
    let socket: Socket;
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    const onReady = () => socket.end(payload);
    if (target.transport === 'tls') {
      socket = tlsConnect({ host: target.host, port: target.port, servername: target.server_name ?? target.host, ca: target.ca_pem ?? undefined, timeout: TIMEOUT_MS }, onReady);
    } else {
      socket = netConnect({ host: target.host, port: target.port, timeout: TIMEOUT_MS }, onReady);
    }
    socket.on('timeout', () => fail(new Error(`syslog ${target.transport} ${target.host}:${target.port} timed out`)));
    socket.on('error', fail);
    socket.on('data', () => undefined);
    socket.on('close', (hadError) => (hadError ? undefined : resolve()));
  });
}

async function sendUdp(target: SyslogTarget, lines: string[]): Promise<void> {
  const socket = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
  try {
    for (const line of lines) {
      const msg = Buffer.from(line, 'utf8').subarray(0, UDP_MAX);
      await new Promise<void>((resolve, reject) => socket.send(msg, target.port, target.host, (err) => (err ? reject(err) : resolve())));
    }
  } finally {
    socket.close();
  }
}

/**
 * The signature header of a webhook delivery: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the
 * connector's secret>. A receiver recomputes it, compares in constant time and refuses old timestamps (replay).
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookAnswer {
  status: number;
}

/** POSTs the body; any answer but 2xx (or no answer within the timeout) is a failure the caller retries. */
export async function sendWebhook(url: string, secret: string, body: string, deliveryId: string, now: Date): Promise<WebhookAnswer> {
  const t = Math.floor(now.getTime() / 1000);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Rampart-SIEM/1',
      'x-rampart-delivery': deliveryId,
      'x-rampart-signature': webhookSignature(secret, t, body),
    },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) throw Object.assign(new Error(`webhook answered ${res.status}`), { status: res.status });
  return { status: res.status };
}
