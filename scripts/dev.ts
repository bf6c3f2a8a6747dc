// `npm run dev`: the console with Vite's hot reload, its API calls proxied to a local Rampart.
// Starts `rampart serve` on 127.0.0.1:8443 (your rampart.toml and ./data apply) unless RAMPART_DEV_TARGET names a
// Rampart that already runs. Open the address Vite prints; Ctrl-C stops both.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const given = process.env.RAMPART_DEV_TARGET;
const target = given ?? 'https://127.0.0.1:8443';
const children: ChildProcess[] = [];

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  children.push(child);
  child.on('exit', (code) => {
    for (const other of children) if (other !== child && other.exitCode === null) other.kill('SIGTERM');
    process.exitCode = code ?? 1;
  });
}

if (!given) run(process.execPath, ['bin/rampart.js', 'serve', '--listen', '127.0.0.1:8443']);
run('npm', ['run', 'dev', '-w', 'ui'], { RAMPART_DEV_TARGET: target });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => children.forEach((c) => c.kill(signal)));
