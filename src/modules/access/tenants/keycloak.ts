import { request } from 'node:https';
import { RampartError } from '../../../core/errors.js';
import type { DirectoryGroup, DirectoryUser } from './dirsync.service.js';

export interface KeycloakSettings {
  /** https://keycloak.example (the server root, without /realms or /admin). */
  base_url: string;
  realm: string;
  /** A confidential client with a service account holding realm-management's view-users. */
  client_id: string;
  client_secret: string;
  /** PEM of the CA that signed Keycloak's certificate, when the system's do not. */
  ca_pem: string | null;
}

const PAGE = 100;
const MAX_PAGES = 1000;
const TIMEOUT_MS = 15_000;

function failure(message: string, cause?: unknown): RampartError {
  return new RampartError({ code: 'directory_unavailable', status: 502, fault: 'external', retryable: true, message, cause });
}

function call<T>(s: KeycloakSettings, method: 'GET' | 'POST', path: string, opts: { token?: string; form?: Record<string, string> } = {}): Promise<T> {
  const base = new URL(s.base_url);
  const url = new URL(base.pathname.replace(/\/+$/, '') + path, base);
  const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
  const what = `Keycloak ${method} ${url.pathname}`;
  return new Promise<T>((resolve, reject) => {
    const req = request(url, {
      method, timeout: TIMEOUT_MS, ...(s.ca_pem ? { ca: s.ca_pem } : {}),
      headers: {
        accept: 'application/json',
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(failure(`${what} failed: ${err.message}`, err)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(failure(`${what} answered ${res.statusCode}${text ? `: ${text.slice(0, 200)}` : ''}`));
        try {
          resolve(JSON.parse(text) as T);
        } catch {
          reject(failure(`${what} answered something that is not JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => reject(failure(`${what} failed: ${err.message}`, err)));
    req.end(body);
  });
}

async function pages<T>(s: KeycloakSettings, token: string, path: string): Promise<T[]> {
  const out: T[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const items = await call<T[]>(s, 'GET', `${path}${sep}first=${page * PAGE}&max=${PAGE}`, { token });
    if (!Array.isArray(items)) throw failure(`Keycloak ${path} did not answer a list`);
    out.push(...items);
    if (items.length < PAGE) return out;
  }
  return out;
}

interface KcUser { id: string; username: string; email?: string; firstName?: string; lastName?: string; enabled?: boolean }
interface KcGroup { id: string; name: string; path?: string; subGroups?: KcGroup[]; subGroupCount?: number }

/**
 * Pulls a realm's users and groups through Keycloak's admin REST API: a client-credentials token from the realm's
 * token endpoint, then /admin/realms/{realm}/users, /groups (with their sub-groups) and each group's members,
 * 100 at a time. The answer is a full snapshot's users and groups.
 */
export async function pullKeycloak(s: KeycloakSettings): Promise<{ users: DirectoryUser[]; groups: DirectoryGroup[] }> {
  const realm = encodeURIComponent(s.realm);
  const { access_token } = await call<{ access_token: string }>(s, 'POST', `/realms/${realm}/protocol/openid-connect/token`, {
    form: { grant_type: 'client_credentials', client_id: s.client_id, client_secret: s.client_secret },
  });
  if (!access_token) throw failure('Keycloak issued no access token');
  const kcUsers = await pages<KcUser>(s, access_token, `/admin/realms/${realm}/users?briefRepresentation=false`);
  const users: DirectoryUser[] = kcUsers
    .filter((u) => !u.username.startsWith('service-account-'))
    .map((u) => ({
      external_id: u.id, username: u.username, email: u.email ?? null,
      name: [u.firstName, u.lastName].filter(Boolean).join(' ') || null, active: u.enabled !== false,
    }));
  const known = new Set(users.map((u) => u.external_id));
  const flat: KcGroup[] = [];
  const walk = async (g: KcGroup) => {
    flat.push(g);
    let children = g.subGroups ?? [];
    // Keycloak 23+ lists sub-groups at /children instead of inline.
    if (children.length === 0 && (g.subGroupCount ?? 0) > 0) children = await pages<KcGroup>(s, access_token, `/admin/realms/${realm}/groups/${encodeURIComponent(g.id)}/children`);
    for (const c of children) await walk(c);
  };
  for (const g of await pages<KcGroup>(s, access_token, `/admin/realms/${realm}/groups?briefRepresentation=false`)) await walk(g);
  const groups: DirectoryGroup[] = [];
  for (const g of flat) {
    const members = await pages<KcUser>(s, access_token, `/admin/realms/${realm}/groups/${encodeURIComponent(g.id)}/members?briefRepresentation=true`);
    groups.push({ external_id: g.id, name: (g.path ?? `/${g.name}`).replace(/^\//, '').slice(0, 128), member_ids: members.map((m) => m.id).filter((id) => known.has(id)) });
  }
  return { users, groups };
}
