import * as OTPAuth from 'otpauth';

/** RFC 6238 as authenticator apps expect it: SHA-1, 6 digits, 30-second steps. */
const PERIOD_S = 30;
const DIGITS = 6;
const ISSUER = 'Rampart';
/** One step either side, for clocks that drift and codes typed just as they roll over. */
const DRIFT_STEPS = 1;
const CODE_SHAPE = new RegExp(`^\\d{${DIGITS}}$`);

const totpFor = (secret: string, username = '') =>
  new OTPAuth.TOTP({ issuer: ISSUER, label: username, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_S, secret: OTPAuth.Secret.fromBase32(secret) });

/** A new 160-bit secret, base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

/** otpauth://totp/Rampart:<username>?issuer=Rampart&secret=...&algorithm=SHA1&digits=6&period=30, for a QR code. */
export function provisioningUri(secret: string, username: string): string {
  return totpFor(secret, username).toString();
}

/** Whether a string has the shape of a TOTP code (recovery codes do not). */
export function looksLikeTotpCode(code: string): boolean {
  return CODE_SHAPE.test(code);
}

/** The time step a code belongs to, when it is valid at `at` within the allowed drift; null otherwise. */
export function matchTotpStep(secret: string, code: string, at: Date): number | null {
  if (!looksLikeTotpCode(code)) return null;
  const delta = totpFor(secret).validate({ token: code, timestamp: at.getTime(), window: DRIFT_STEPS });
  return delta === null ? null : Math.floor(at.getTime() / 1000 / PERIOD_S) + delta;
}
