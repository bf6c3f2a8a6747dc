import { readFileSync } from 'node:fs';
import { BUILTIN_LICENSE_PUBLIC_KEY, licenseKey, licenseState, readLicense } from '../../modules/access/tenants/license-file.js';
import { fail } from '../fail.js';

/**
 * `rampart license inspect FILE`: verifies an access licence file with the given public key (else the configured
 * access.license_public_key, else the built-in vendor key) and prints what it grants and where it stands now, as
 * JSON. Exit 0 for a valid licence or one in grace, 1 for one expired past grace, not valid yet, or not verifying.
 */
export function licenseInspectCommand(file: string, configuredKey: string, flags: { publicKey?: string }): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  let key;
  try {
    key = licenseKey(flags.publicKey || configuredKey || BUILTIN_LICENSE_PUBLIC_KEY);
  } catch (err) {
    fail((err as Error).message);
  }
  const out = readLicense(text, key);
  if (!out.ok) {
    process.stdout.write(`${JSON.stringify({ file, signature: out.error.includes('signature') ? 'invalid' : 'valid', state: 'invalid', error: out.error, license: out.license ?? null }, null, 2)}\n`);
    process.exit(1);
  }
  const s = licenseState(out.license, new Date());
  process.stdout.write(`${JSON.stringify({ file, signature: 'valid', state: s.state, grace_until: s.grace_until, error: s.error ?? null, license: out.license }, null, 2)}\n`);
  if (s.state !== 'valid' && s.state !== 'grace') process.exit(1);
}
