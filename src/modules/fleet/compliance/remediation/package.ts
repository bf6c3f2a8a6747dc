import { z } from 'zod';
import { token } from '../checks/check-method.js';
import { platformFamily } from '../platform.js';
import { shellQuote } from '../shell.js';
import { runOrThrow } from './host-files.js';
import type { Mechanism, MechanismContext, RemediationStep } from './step.js';

const packageFields = z.strictObject({ mechanism: z.literal('package'), name: token, state: z.enum(['present', 'absent']) });

function packageCommands(context: MechanismContext, name: string) {
  const q = shellQuote(name);
  if (platformFamily(context.facts.os_family) === 'rhel' || (!context.capabilities.has('apt') && context.capabilities.has('dnf'))) {
    return { install: `dnf -y install -- ${q}`, remove: `dnf -y remove -- ${q}`, query: `rpm -q -- ${q}` };
  }
  return {
    install: `DEBIAN_FRONTEND=noninteractive apt-get -y install -- ${q}`,
    remove: `DEBIAN_FRONTEND=noninteractive apt-get -y remove -- ${q}`,
    query: `dpkg-query -W -f='\${Status}' -- ${q} 2>/dev/null | grep -q 'install ok installed'`,
  };
}

/** package: installed or removed with the host's package manager; rollback does the opposite if it changed. */
export const packageMechanism: Mechanism<z.infer<typeof packageFields>> = {
  fields: packageFields,
  steps(f, context) {
    const cmd = packageCommands(context, f.name);
    const installed = async (session: Parameters<RemediationStep['apply']>[0]) => (await session.run(cmd.query, { sudo: true })).exitCode === 0;
    const change = f.state === 'present' ? cmd.install : cmd.remove;
    const description = `${f.state === 'present' ? 'install' : 'remove'} package ${f.name}`;
    return [
      {
        mechanism: 'package',
        description,
        async dryRun(session) {
          const now = await installed(session);
          return { description: now === (f.state === 'present') ? `${description} (already so: no change)` : description, diff: null };
        },
        async apply(session) {
          const was = await installed(session);
          if (was !== (f.state === 'present')) await runOrThrow(session, change, description);
          return { installed: was };
        },
        async rollback(session, prior) {
          if (Boolean(prior.installed) === (f.state === 'present')) return;
          await runOrThrow(session, prior.installed ? cmd.install : cmd.remove, `restoring package ${f.name}`);
        },
      },
    ];
  },
};
