import { auditRuleCheck } from './audit-rule.js';
import type { CheckMethod } from './check-method.js';
import { commandCheck } from './command.js';
import { configValueCheck } from './config-value.js';
import { filePermissionsCheck } from './file-permissions.js';
import { grubParameterCheck } from './grub-parameter.js';
import { kernelModuleStateCheck } from './kernel-module-state.js';
import { mountOptionCheck } from './mount-option.js';
import { packageAbsentCheck, packageInstalledCheck } from './package-state.js';
import { selinuxStateCheck } from './selinux-state.js';
import { serviceStateCheck } from './service-state.js';
import { setCompareCheck } from './set-compare.js';
import { sshdEffectiveConfigCheck } from './sshd-effective-config.js';
import { sysctlValueCheck } from './sysctl-value.js';

/** Every check method the engine runs, by the name rules give in `check.method`. */
export const CHECK_METHODS: Record<string, CheckMethod> = {
  config_value: configValueCheck,
  sysctl_value: sysctlValueCheck,
  package_installed: packageInstalledCheck,
  package_absent: packageAbsentCheck,
  file_permissions: filePermissionsCheck,
  service_state: serviceStateCheck,
  audit_rule_exists: auditRuleCheck,
  sshd_effective_config: sshdEffectiveConfigCheck,
  mount_option: mountOptionCheck,
  kernel_module_state: kernelModuleStateCheck,
  grub_parameter: grubParameterCheck,
  selinux_state: selinuxStateCheck,
  set_compare: setCompareCheck,
  command: commandCheck,
};

/** Fields whose text is a shell command: site variables are substituted into them as quoted words. */
export const SHELL_FIELDS = ['run'] as const;
