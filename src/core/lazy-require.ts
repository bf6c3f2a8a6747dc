import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package loaded on first use rather than at start-up: for libraries only some deployments or some
 * requests need (PostgreSQL's driver on SQLite, SAML, SSH, YAML rendering). Loading each costs `serve` tens of
 * milliseconds before its first answer and resident memory it may never use. Synchronous, so callers stay as they were.
 */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
