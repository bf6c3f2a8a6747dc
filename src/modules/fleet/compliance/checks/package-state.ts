import { z } from 'zod';
import type { CommandResult } from '../../ssh/ssh.types.js';
import { platformFamily } from '../platform.js';
import { shellQuote } from '../shell.js';
import { type CheckContext, type CheckMethod, type CheckVerdict, commandFailure, errorVerdict, token, verdict } from './check-method.js';

const installedFields = z.strictObject({ method: z.literal('package_installed'), name: token });
const absentFields = z.strictObject({ method: z.literal('package_absent'), name: token });
type Fields = { name: string };

/** dpkg on Debian-family hosts, rpm on RHEL-family ones; whichever the host has when discovery has not run. */
function packageTool(context: CheckContext): 'dpkg' | 'rpm' | null {
  const family = platformFamily(context.facts.os_family);
  const { capabilities: caps } = context;
  if (caps.has('dpkg') && family !== 'rhel') return 'dpkg';
  if (caps.has('rpm')) return 'rpm';
  return caps.has('dpkg') ? 'dpkg' : null;
}

function queryCommand(c: Fields, context: CheckContext) {
  const tool = packageTool(context);
  if (!tool) return 'no package manager found on the host (neither dpkg nor rpm)';
  const command = tool === 'dpkg' ? `dpkg-query -W -f='\${Status}\\n' -- ${shellQuote(c.name)}` : `rpm -q -- ${shellQuote(c.name)}`;
  return { command, sudo: false };
}

/** Installed, not installed, or null when the query itself failed. */
function isInstalled(result: CommandResult): boolean | null {
  if (result.exitCode === 0) return result.command.startsWith('rpm') || /install ok installed/.test(result.stdout);
  if (/no packages found|is not installed/.test(result.stdout + result.stderr)) return false;
  return null;
}

function judge(c: Fields, result: CommandResult, wantInstalled: boolean): CheckVerdict {
  const expected = `${c.name} ${wantInstalled ? 'installed' : 'not installed'}`;
  const installed = isInstalled(result);
  if (installed === null) return errorVerdict(expected, commandFailure(result));
  return verdict(installed === wantInstalled, expected, `${c.name} ${installed ? 'installed' : 'not installed'}`);
}

/** package_installed: the package is installed (dpkg status "install ok installed", or rpm -q succeeds). */
export const packageInstalledCheck: CheckMethod<Fields> = {
  fields: installedFields,
  command: queryCommand,
  evaluate: (c, result) => judge(c, result, true),
};

/** package_absent: the package is not installed. */
export const packageAbsentCheck: CheckMethod<Fields> = {
  fields: absentFields,
  command: queryCommand,
  evaluate: (c, result) => judge(c, result, false),
};
