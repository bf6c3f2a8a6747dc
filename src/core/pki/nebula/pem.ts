import { errors } from '../../errors.js';

export const BANNERS = {
  certificateV1: 'NEBULA CERTIFICATE',
  certificateV2: 'NEBULA CERTIFICATE V2',
  ed25519PrivateKey: 'NEBULA ED25519 PRIVATE KEY',
  ed25519PublicKey: 'NEBULA ED25519 PUBLIC KEY',
  x25519PrivateKey: 'NEBULA X25519 PRIVATE KEY',
  x25519PublicKey: 'NEBULA X25519 PUBLIC KEY',
} as const;

export type Banner = (typeof BANNERS)[keyof typeof BANNERS];

/** PEM as Go's encoding/pem writes it: base64 in 64-character lines, no headers. */
export function toPem(banner: Banner, bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let body = '';
  for (let at = 0; at < base64.length; at += 64) body += `${base64.slice(at, at + 64)}\n`;
  return `-----BEGIN ${banner}-----\n${body}-----END ${banner}-----\n`;
}

/** The first PEM block of `text`; its banner must be one of `expected`. */
export function fromPem(text: string, expected: readonly Banner[]): { banner: Banner; bytes: Uint8Array } {
  const block = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END \1-----/.exec(text);
  if (!block) throw errors.validation(`expected PEM (${expected.join(' or ')}), got no PEM block`);
  const banner = block[1] as Banner;
  if (!expected.includes(banner)) throw errors.validation(`expected PEM ${expected.join(' or ')}, got ${block[1]}`);
  return { banner, bytes: new Uint8Array(Buffer.from(block[2].replace(/\s/g, ''), 'base64')) };
}
