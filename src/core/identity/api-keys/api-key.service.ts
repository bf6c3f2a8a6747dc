import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { ApiKeyService, RbacService } from '../identity.types.js';

export function createApiKeyService(deps: IdentityDeps & { rbac: RbacService }): ApiKeyService {
  // TODO(helper C): api keys
  return notYet<ApiKeyService>('api keys');
}
