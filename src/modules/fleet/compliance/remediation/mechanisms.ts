import { configSet, fileLine } from './file-mechanisms.js';
import { filePermissions } from './file-permissions.js';
import { manual } from './manual.js';
import { packageMechanism } from './package.js';
import { service } from './service.js';
import type { Mechanism } from './step.js';
import { sysctlSet } from './sysctl-set.js';

/** Every remediation mechanism, by the name rules give in `remediation.mechanism`. */
export const MECHANISMS: Record<string, Mechanism> = {
  config_set: configSet,
  file_line: fileLine,
  sysctl_set: sysctlSet,
  file_permissions: filePermissions,
  package: packageMechanism,
  service,
  manual,
};
