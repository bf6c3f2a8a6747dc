import { randomBytes } from 'node:crypto';
import { errors } from '../../errors.js';
import type { Principal } from '../../principal.js';
import type { IdentityDeps } from '../index.js';
import type { Tickets } from '../identity.types.js';

/** Outstanding tickets one process holds at most: beyond it, new ones are refused rather than memory growing. */
export const MAX_OUTSTANDING_TICKETS = 100_000;
const TICKET_SHAPE = /^[0-9a-f]{64}$/;

interface Entry {
  principal: Principal;
  expiresAt: number;
}

/**
 * Single-use tickets for browser streams (EventSource and WebSocket cannot send headers). They live in process
 * memory only, as the edge spec says: a ticket is redeemed on the node that issued it, within seconds.
 */
export function createTickets(deps: Pick<IdentityDeps, 'config' | 'now'>, maxOutstanding = MAX_OUTSTANDING_TICKETS): Tickets {
  const ttlSeconds = deps.config.auth.ws_ticket_ttl_s;
  const outstanding = new Map<string, Entry>();

  // Entries go in issue order with one TTL, so the expired ones are at the front.
  function sweep(now: number) {
    for (const [ticket, entry] of outstanding) {
      if (entry.expiresAt > now) break;
      outstanding.delete(ticket);
    }
  }

  return {
    issue(principal) {
      const now = deps.now().getTime();
      sweep(now);
      if (outstanding.size >= maxOutstanding) throw errors.unavailable('too many outstanding stream tickets; try again shortly');
      const ticket = randomBytes(32).toString('hex');
      outstanding.set(ticket, { principal, expiresAt: now + ttlSeconds * 1000 });
      return { ticket, expires_in: ttlSeconds };
    },

    consume(ticket) {
      if (!TICKET_SHAPE.test(ticket)) return null;
      const now = deps.now().getTime();
      sweep(now);
      const entry = outstanding.get(ticket);
      if (!entry) return null;
      outstanding.delete(ticket);
      return entry.expiresAt > now ? { ...entry.principal, via: 'ticket' } : null;
    },
  };
}
