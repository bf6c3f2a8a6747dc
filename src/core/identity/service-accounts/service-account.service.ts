import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { Keyset, RbacService, ServiceAccountService } from '../identity.types.js';

export function createServiceAccountService(deps: IdentityDeps & { keyset: Keyset; rbac: RbacService }): ServiceAccountService {
  // TODO(helper C): service accounts
  return notYet<ServiceAccountService>('service accounts');
}
