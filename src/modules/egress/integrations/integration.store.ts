import { randomUUID } from 'node:crypto';
import { paginate, type Page, type PageRequest } from '../../../core/db/paginate.js';
import type { Core } from '../../../core/index.js';
import '../settings/settings.tables.js';
import type { EgressIntegrationRow } from '../settings/settings.tables.js';
import { sealContext } from '../../../core/secrets/sealed-columns.js';
import { settingsSealedColumns } from '../settings/settings.sealed.js';
import type { IntegrationInput, KubernetesCredentials } from './integration.types.js';

const TOKEN_CONTEXT = sealContext(settingsSealedColumns.integrationToken);

/** Rows of egress_integrations; the service account token is sealed on the way in and opened only for API calls. */
export function createIntegrationStore(core: Pick<Core, 'db' | 'now' | 'secrets'>) {
  const { db } = core;
  const table = () => db.kysely.selectFrom('egress_integrations').selectAll();

  return {
    list: (): Promise<EgressIntegrationRow[]> => table().orderBy('name').execute(),
    listPage: (page: PageRequest): Promise<Page<EgressIntegrationRow>> =>
      paginate(table().orderBy('name').orderBy('id'), page),
    get: (name: string): Promise<EgressIntegrationRow | undefined> => table().where('name', '=', name).executeTakeFirst(),

    /** Whether an integration of this name exists (policy validation asks). */
    async exists(name: string): Promise<boolean> {
      const row = await db.kysely.selectFrom('egress_integrations').select('id').where('name', '=', name).executeTakeFirst();
      return row !== undefined;
    },

    async insert(input: IntegrationInput): Promise<EgressIntegrationRow> {
      const now = core.now().toISOString();
      const row: EgressIntegrationRow = {
        id: randomUUID(),
        name: input.name,
        kind: input.kind,
        api_server_url: input.api_server_url,
        ca_cert_pem: input.ca_cert_pem,
        token_sealed: core.secrets.seal(input.service_account_token, TOKEN_CONTEXT),
        created_at: now,
        updated_at: now,
      };
      await db.kysely.insertInto('egress_integrations').values(row).execute();
      return row;
    },

    /** Replaces the fields given; a missing token keeps the stored one. */
    async update(id: string, input: Omit<IntegrationInput, 'service_account_token'> & { service_account_token?: string }): Promise<void> {
      await db.kysely
        .updateTable('egress_integrations')
        .set({
          name: input.name,
          kind: input.kind,
          api_server_url: input.api_server_url,
          ca_cert_pem: input.ca_cert_pem,
          ...(input.service_account_token !== undefined ? { token_sealed: core.secrets.seal(input.service_account_token, TOKEN_CONTEXT) } : {}),
          updated_at: core.now().toISOString(),
        })
        .where('id', '=', id)
        .execute();
    },

    async remove(id: string): Promise<void> {
      await db.kysely.deleteFrom('egress_integrations').where('id', '=', id).execute();
    },

    /** The integration with its token opened, for calling its API server; undefined when there is none. */
    async credentials(name: string): Promise<KubernetesCredentials | undefined> {
      const row = await table().where('name', '=', name).executeTakeFirst();
      if (!row) return undefined;
      return { name: row.name, api_server_url: row.api_server_url, ca_cert_pem: row.ca_cert_pem, token: core.secrets.openString(row.token_sealed, TOKEN_CONTEXT) };
    },
  };
}

export type IntegrationStore = ReturnType<typeof createIntegrationStore>;
