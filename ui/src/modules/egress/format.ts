import { formatTime } from '../../shared/format';

const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

/** An IP protocol number by its name where it has a common one. */
export const protoName = (proto: number | null | undefined) => (proto == null ? '—' : PROTOCOLS[proto] ?? String(proto));

/** Unix seconds (the Neuwerk surface's timestamps) in the reader's locale. */
export const unixTime = (seconds: number | null | undefined) => (seconds == null ? '—' : formatTime(new Date(seconds * 1000).toISOString()));
