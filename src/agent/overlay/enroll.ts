/** `rampart agent overlay enroll`: redeem a one-time code and keep what the device needs in its state dir. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DeviceHttpError, DeviceNetworkError, enroll, type TlsSettings } from './http-client.js';
import { normalizeServerUrl } from '../common/server-url.js';
import { stateFile, writeState, type AgentState } from './state.js';

export interface EnrollInput {
  server: string;
  code: string;
  stateDir: string;
  caFile?: string;
  insecure?: boolean;
}

/** Its message is the one line the operator sees. */
export class EnrollError extends Error {}

function explain(err: unknown): string {
  if (err instanceof DeviceHttpError) {
    const detail = err.detail ? `: ${err.detail}` : '';
    if (err.status === 400 || err.status === 404) return `the code is invalid, already used or expired (${err.status}${detail})`;
    if (err.status === 429) return `too many attempts; wait a minute and try again (429${detail})`;
    return `the server answered ${err.status}${detail}`;
  }
  if (err instanceof DeviceNetworkError && err.untrustedCertificate) {
    return `the server's certificate is not trusted (${err.code}); pass --ca-file with the server's certificate (PEM), or --insecure`;
  }
  return (err as Error).message;
}

function tlsSettings(input: EnrollInput): TlsSettings {
  if (input.insecure && input.caFile) throw new EnrollError('enrollment failed: pass either --ca-file or --insecure, not both');
  if (input.insecure) return { insecure: true };
  if (!input.caFile) return {};
  const caFile = resolve(input.caFile);
  try {
    readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new EnrollError(`enrollment failed: cannot read --ca-file ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { ca_file: caFile };
}

export async function enrollDevice(input: EnrollInput): Promise<{ state: AgentState; file: string }> {
  let server: string;
  try {
    server = normalizeServerUrl(input.server);
  } catch (err) {
    throw new EnrollError(`enrollment failed: ${(err as Error).message}`);
  }
  const code = input.code.trim();
  if (!code) throw new EnrollError('enrollment failed: --code is empty');
  const tls = tlsSettings(input);
  let enrollment;
  try {
    enrollment = await enroll(server, code, tls);
  } catch (err) {
    throw new EnrollError(`enrollment failed: ${explain(err)}`);
  }
  const state: AgentState = { server, ...enrollment, ...tls };
  writeState(input.stateDir, state);
  return { state, file: stateFile(input.stateDir) };
}
