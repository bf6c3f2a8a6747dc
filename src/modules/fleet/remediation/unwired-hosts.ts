import { errors } from '../../../core/errors.js';
import type { RemediationHosts } from './remediation.types.js';

/**
 * Remediation's hosts before the rule catalog and the SSH transport are wired into the fleet services (the
 * composition sets fleetServices(core).remediationHosts): every use answers 503, saying so.
 */
export const unwiredRemediationHosts: RemediationHosts = {
  plan: async () => {
    throw errors.unavailable('remediation is not available: no rule catalog is wired');
  },
  open: async () => {
    throw errors.unavailable('remediation is not available: no SSH transport is wired');
  },
};
