import { isIPv6 } from 'node:net';

/** Who tries to sign in as whom: the submitted username and the client's address (null over a unix socket). */
export interface LoginAttempt {
  username: string;
  clientIp: string | null | undefined;
}

/** Which counter a failure is charged to; each has its own threshold (lockout.ts). */
export type ThrottleScope = 'account_source' | 'source' | 'account';

/**
 * The source an address stands for: an IPv4 address as it is (an IPv4-mapped IPv6 one unmapped), an IPv6 address
 * by its /64, since one host commonly holds a whole /64 and could otherwise rotate through it.
 */
export function sourceOf(clientIp: string | null | undefined): string {
  if (!clientIp) return 'local';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clientIp);
  if (mapped) return mapped[1]!;
  if (!isIPv6(clientIp)) return clientIp;
  return `${expandIPv6(clientIp).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head, tail] = address.split('%')[0]!.toLowerCase().split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => group.replace(/^0+(?=.)/, ''));
}

/** The counters one attempt is charged to, by scope. Usernames count as typed, lower-cased. */
export function throttleKeys(attempt: LoginAttempt): Record<ThrottleScope, string> {
  const account = attempt.username.toLowerCase();
  const source = sourceOf(attempt.clientIp);
  return { account_source: `as:${source} ${account}`, source: `s:${source}`, account: `a:${account}` };
}
