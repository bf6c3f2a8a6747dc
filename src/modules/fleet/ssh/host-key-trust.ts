import type { AuditService } from '../../../core/audit/audit.service.js';
import type { Principal } from '../../../core/principal.js';
import type { HostKeyStore } from './host-keys.store.js';

/**
 * Forgets a host's trusted key so the next connection trusts whatever key it presents: what an operator does
 * after rebuilding a host. Audited with the key forgotten, so a later mismatch can be traced to who reset it.
 */
export async function forgetHostKey(
  deps: { hostKeys: HostKeyStore; audit: AuditService },
  input: { hostKeyName: string; hostId?: string; actor: Principal; correlationId?: string | null },
): Promise<boolean> {
  const forgotten = await deps.hostKeys.forget(input.hostKeyName);
  if (!forgotten) return false;
  await deps.audit.record({
    actor: { type: input.actor.type, id: input.actor.id, name: input.actor.name },
    action: 'fleet.ssh_host_key.forgotten',
    resource: { type: 'fleet_host', id: input.hostId ?? null },
    result: 'success',
    correlationId: input.correlationId ?? null,
    details: { host_key_name: input.hostKeyName, key_type: forgotten.key_type, fingerprint: forgotten.fingerprint },
  });
  return true;
}
