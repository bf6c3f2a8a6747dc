import { z } from 'zod';
import { platformFamily } from '../platform.js';
import { shellQuote } from '../shell.js';
import { absolutePath, text, token } from '../checks/check-method.js';
import { ensureLine, fileEditStep, setConfigLine } from './file-edit.js';
import { runOrThrow } from './host-files.js';
import { type Mechanism, type MechanismContext, RemediationError, type RemediationStep } from './step.js';

const configSetFields = z.strictObject({
  mechanism: z.literal('config_set'),
  path: absolutePath,
  key: z.string().min(1),
  value: text,
  /** Written between key and value: " " (default) or "=" / " = ". */
  separator: z.string().min(1).default(' '),
});

/** config_set: every active line of the key in a configuration file set to the value, or the line appended. */
const configSet: Mechanism<z.infer<typeof configSetFields>> = {
  fields: configSetFields,
  steps: (f) => [
    fileEditStep('config_set', f.path, `set ${f.key} to ${f.value} in ${f.path}`, (content) =>
      setConfigLine(content, f.key, `${f.key}${f.separator}${f.value}`, f.separator),
    ),
  ],
};

const fileLineFields = z.strictObject({ mechanism: z.literal('file_line'), path: absolutePath, line: z.string().min(1) });

/** file_line: a line present in a file (an audit rule in rules.d, `install cramfs /bin/false` in modprobe.d). */
const fileLine: Mechanism<z.infer<typeof fileLineFields>> = {
  fields: fileLineFields,
  steps: (f) => [fileEditStep('file_line', f.path, `add "${f.line}" to ${f.path}`, (content) => ensureLine(content, f.line))],
};

const sysctlSetFields = z.strictObject({
  mechanism: z.literal('sysctl_set'),
  key: z.string().regex(/^[a-z0-9_.-]+$/i, 'must be a sysctl key'),
  value: text,
  /** Where the setting persists across reboots. */
  persist_file: absolutePath.default('/etc/sysctl.d/60-rampart.conf'),
});

/** sysctl_set: the parameter persisted in sysctl.d and set on the running kernel. */
const sysctlSet: Mechanism<z.infer<typeof sysctlSetFields>> = {
  fields: sysctlSetFields,
  steps: (f) => [
    fileEditStep('sysctl_set', f.persist_file, `persist ${f.key} = ${f.value} in ${f.persist_file}`, (content) =>
      setConfigLine(content, f.key, `${f.key} = ${f.value}`, '='),
    ),
    {
      mechanism: 'sysctl_set',
      description: `set ${f.key} to ${f.value} on the running kernel`,
      async dryRun(session) {
        const now = await runOrThrow(session, `sysctl -n -- ${shellQuote(f.key)}`, `reading ${f.key}`);
        return { description: `set ${f.key} from ${now.stdout.trim()} to ${f.value} on the running kernel`, diff: null };
      },
      async apply(session) {
        const now = await runOrThrow(session, `sysctl -n -- ${shellQuote(f.key)}`, `reading ${f.key}`);
        await runOrThrow(session, `sysctl -w -- ${shellQuote(`${f.key}=${f.value}`)}`, `setting ${f.key}`);
        return { key: f.key, value: now.stdout.trim() };
      },
      async rollback(session, prior) {
        await runOrThrow(session, `sysctl -w -- ${shellQuote(`${f.key}=${String(prior.value)}`)}`, `restoring ${f.key}`);
      },
    },
  ],
};

const filePermissionsFields = z.strictObject({
  mechanism: z.literal('file_permissions'),
  path: absolutePath.refine((p) => !/[*?[]/.test(p), 'remediation needs a literal path, not a pattern'),
  owner: token.optional(),
  group: token.optional(),
  /** The most permissive mode allowed: bits beyond it are removed, stricter modes are kept. */
  mode: z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode such as 0640').optional(),
});

/** file_permissions: owner, group and mode of a file brought within the rule's limits. */
const filePermissions: Mechanism<z.infer<typeof filePermissionsFields>> = {
  fields: filePermissionsFields,
  steps(f) {
    const path = shellQuote(f.path);
    const current = async (session: Parameters<RemediationStep['apply']>[0]) => {
      const [mode, owner, group] = (await runOrThrow(session, `stat -c '%a %U %G' -- ${path}`, `reading ${f.path}`)).stdout.trim().split(' ');
      return { mode, owner, group };
    };
    const target = (mode: string) => (f.mode ? (parseInt(mode, 8) & parseInt(f.mode, 8)).toString(8).padStart(4, '0') : mode);
    const set = async (session: Parameters<RemediationStep['apply']>[0], owner: string, group: string, mode: string) => {
      await runOrThrow(session, `chown -- ${shellQuote(`${owner}:${group}`)} ${path}`, `chown ${f.path}`);
      await runOrThrow(session, `chmod -- ${shellQuote(mode)} ${path}`, `chmod ${f.path}`);
    };
    const description = `set ${f.path} to ${[f.owner && `owner ${f.owner}`, f.group && `group ${f.group}`, f.mode && `mode at most ${f.mode}`].filter(Boolean).join(', ')}`;
    return [
      {
        mechanism: 'file_permissions',
        description,
        async dryRun(session) {
          const now = await current(session);
          return { description: `${description} (now ${now.mode} ${now.owner}:${now.group}, then ${target(now.mode)} ${f.owner ?? now.owner}:${f.group ?? now.group})`, diff: null };
        },
        async apply(session) {
          const now = await current(session);
          await set(session, f.owner ?? now.owner, f.group ?? now.group, target(now.mode));
          return now;
        },
        async rollback(session, prior) {
          await set(session, String(prior.owner), String(prior.group), String(prior.mode));
        },
      },
    ];
  },
};

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
const packageMechanism: Mechanism<z.infer<typeof packageFields>> = {
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

const serviceFields = z.strictObject({
  mechanism: z.literal('service'),
  name: token,
  enabled: z.boolean().optional(),
  active: z.boolean().optional(),
});

/** service: a systemd unit enabled/disabled and started/stopped; rollback restores both as they were. */
const service: Mechanism<z.infer<typeof serviceFields>> = {
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

const manualFields = z.strictObject({ mechanism: z.literal('manual'), note: z.string().min(1) });

/** manual: no automatic change (repartitioning, bootloader passwords); the note tells the operator what to do. */
const manual: Mechanism<z.infer<typeof manualFields>> = { fields: manualFields, steps: () => [] };

export const MECHANISMS: Record<string, Mechanism> = {
  config_set: configSet,
  file_line: fileLine,
  sysctl_set: sysctlSet,
  file_permissions: filePermissions,
  package: packageMechanism,
  service,
  manual,
};
