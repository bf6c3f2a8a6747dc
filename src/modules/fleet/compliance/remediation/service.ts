import { z } from 'zod';
import { token } from '../checks/check-method.js';
import { shellQuote } from '../shell.js';
import { runOrThrow } from './host-files.js';
import { type Mechanism, RemediationError, type RemediationStep } from './step.js';

const serviceFields = z.strictObject({
  mechanism: z.literal('service'),
  name: token,
  enabled: z.boolean().optional(),
  active: z.boolean().optional(),
});

/** service: a systemd unit enabled/disabled and started/stopped; rollback restores both as they were. */
export const service: Mechanism<z.infer<typeof serviceFields>> = {
  fields: serviceFields,
  steps(f, context) {
    const unit = shellQuote(f.name);
    const description = `${[f.enabled !== undefined && (f.enabled ? 'enable' : 'disable'), f.active !== undefined && (f.active ? 'start' : 'stop')].filter(Boolean).join(' and ')} ${f.name}`;
    const requireSystemd = () => {
      if (!context.capabilities.has('systemd')) throw new RemediationError('systemd is not running on the host', 'systemctl', '');
    };
    const state = async (session: Parameters<RemediationStep['apply']>[0]) => ({
      enabled: (await session.run(`systemctl is-enabled -- ${unit}`, { sudo: true })).stdout.trim() === 'enabled',
      active: (await session.run(`systemctl is-active -- ${unit}`, { sudo: true })).stdout.trim() === 'active',
    });
    const set = async (session: Parameters<RemediationStep['apply']>[0], enabled?: boolean, active?: boolean) => {
      if (enabled !== undefined) await runOrThrow(session, `systemctl ${enabled ? 'enable' : 'disable'} -- ${unit}`, `systemctl ${enabled ? 'enable' : 'disable'} ${f.name}`);
      if (active !== undefined) await runOrThrow(session, `systemctl ${active ? 'start' : 'stop'} -- ${unit}`, `systemctl ${active ? 'start' : 'stop'} ${f.name}`);
    };
    return [
      {
        mechanism: 'service',
        description,
        async dryRun() {
          return { description, diff: null };
        },
        async apply(session) {
          requireSystemd();
          const was = await state(session);
          await set(session, f.enabled, f.active);
          return was;
        },
        async rollback(session, prior) {
          requireSystemd();
          await set(session, f.enabled === undefined ? undefined : Boolean(prior.enabled), f.active === undefined ? undefined : Boolean(prior.active));
        },
      },
    ];
  },
};
