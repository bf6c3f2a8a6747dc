/**
 * Whether the device's tunnel to its gateway has died without anyone saying so (the gateway restarted and lost
 * its peers, or dropped the device while the control plane was unreachable). With a keepalive, a live WireGuard
 * session completes a new handshake every 2 minutes (REKEY_AFTER_TIME, 120 s) within a few seconds; a handshake
 * older than that plus the retry window, or none at all long after admission, means nobody answers any more.
 */
export const STALE_HANDSHAKE_S = 150;
/** How long a fresh admission may go without its first handshake (the first packet triggers it). */
export const FIRST_HANDSHAKE_S = 30;

/** `latestHandshakeS` as `wg show dump` gives it: unix seconds, 0 for never. */
export function tunnelStale(nowMs: number, admittedAtMs: number, latestHandshakeS: number): boolean {
  if (latestHandshakeS === 0) return nowMs - admittedAtMs > FIRST_HANDSHAKE_S * 1000;
  return nowMs - latestHandshakeS * 1000 > STALE_HANDSHAKE_S * 1000 && nowMs - admittedAtMs > FIRST_HANDSHAKE_S * 1000;
}
