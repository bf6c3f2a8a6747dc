import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { Tickets } from '../identity.types.js';

export function createTickets(deps: IdentityDeps): Tickets {
  // TODO(helper B): tickets
  return notYet<Tickets>('tickets');
}
