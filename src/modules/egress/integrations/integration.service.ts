import { mapPage, type Page, type PageRequest } from '../../../core/db/paginate.js';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { EgressIntegrationRow } from '../settings/settings.tables.js';
import { parseCertificates } from '../settings/x509.js';
import { createIntegrationStore } from './integration.store.js';
import type { IntegrationInput, IntegrationView } from './integration.types.js';
import { policiesReferencing } from './policy-references.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export type IntegrationUpdate = Omit<IntegrationInput, 'service_account_token' | 'name'> & { name?: string; service_account_token?: string };

/** Kubernetes integrations (the only kind Neuwerk's API has): sanitized views out, tokens sealed in. */
export function createIntegrationService(core: Pick<Core, 'db' | 'now' | 'secrets'>) {
  const store = createIntegrationStore(core);

  async function getRow(name: string): Promise<EgressIntegrationRow> {
    const row = await store.get(name);
    if (!row) throw errors.notFound(`integration "${name}" not found`);
    return row;
  }

  return {
    store,
    exists: store.exists,
    credentials: store.credentials,
    list: async (): Promise<IntegrationView[]> => (await store.list()).map(toView),
    listPage: async (page: PageRequest): Promise<Page<IntegrationView>> => mapPage(await store.listPage(page), toView),
    get: async (name: string): Promise<IntegrationView> => toView(await getRow(name)),

    async create(input: IntegrationInput): Promise<IntegrationView> {
      validate(input);
      if (!input.service_account_token) throw errors.validation('service_account_token is required');
      if (await store.exists(input.name)) throw errors.conflict(`integration "${input.name}" already exists`);
      try {
        return toView(await store.insert(input));
      } catch (err) {
        if (core.db.dialect.isUniqueViolation(err)) throw errors.conflict(`integration "${input.name}" already exists`);
        throw err;
      }
    },

    /** Replaces the integration; a body without service_account_token keeps the stored token. */
    async update(name: string, input: IntegrationUpdate): Promise<IntegrationView> {
      const row = await getRow(name);
      const next = { ...input, name: input.name ?? name };
      validate(next);
      if (next.name !== name) {
        if (await store.exists(next.name)) throw errors.conflict(`integration "${next.name}" already exists`);
        const users = await policiesReferencing(core.db, name);
        if (users.length) throw errors.conflict(`integration "${name}" cannot be renamed: referenced by policy ${users.join(', ')}`);
      }
      if (input.service_account_token === '') throw errors.validation('service_account_token must not be empty');
      await store.update(row.id, next);
      return toView((await store.get(next.name))!);
    },

    /** Refused (409) while a policy's kubernetes source names it. */
    async remove(name: string): Promise<void> {
      const row = await getRow(name);
      const users = await policiesReferencing(core.db, name);
      if (users.length) throw errors.conflict(`integration "${name}" is referenced by policy ${users.join(', ')}`);
      await store.remove(row.id);
    },
  };
}

export type IntegrationService = ReturnType<typeof createIntegrationService>;

function validate(input: Omit<IntegrationInput, 'service_account_token'>): void {
  if (!NAME.test(input.name)) throw errors.validation('name must be 1-63 characters of letters, digits, ".", "_" or "-", starting with a letter or digit');
  if (input.kind !== 'kubernetes') throw errors.validation(`unsupported integration kind "${input.kind}": only "kubernetes" is supported`);
  let url: URL;
  try {
    url = new URL(input.api_server_url);
  } catch {
    throw errors.validation(`api_server_url is not a valid URL: "${input.api_server_url}"`);
  }
  if (url.protocol !== 'https:') throw errors.validation('api_server_url must be an https:// URL');
  if (url.search || url.hash || url.username || url.password) throw errors.validation('api_server_url must not carry credentials, a query or a fragment');
  parseCertificates(input.ca_cert_pem, 'ca_cert_pem');
}

function toView(row: EgressIntegrationRow): IntegrationView {
  return {
    id: row.id,
    created_at: row.created_at,
    name: row.name,
    kind: 'kubernetes',
    api_server_url: row.api_server_url,
    ca_cert_pem: row.ca_cert_pem,
    auth_type: 'service_account_token',
    token_configured: Boolean(row.token_sealed),
  };
}
