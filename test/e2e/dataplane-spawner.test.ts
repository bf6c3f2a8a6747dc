/**
 * The spawner that runs the data planes' nft and conntrack (src/core/dataplane/spawner.mjs): nft's answers and
 * errors come through unchanged, a script nft refuses changes nothing, a spawner that dies fails only what it was
 * running and the next command starts a new one, and a timeout ends a command. nft runs in a namespace of its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { runNft, streamNft } from '../../src/core/dataplane/nft-command.js';
import { runProcess, spawnerPid } from '../../src/core/dataplane/spawner.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { waitFor } from '../helpers/wait.js';

const skip = skipUnlessPrograms('ip', 'nft');
const ns = `rpt-spawner-${process.pid}`;
const nft = ['ip', 'netns', 'exec', ns, 'nft'];
const TABLE = 'table inet spawner_test {\n  set allowed { type ipv4_addr; elements = { 10.250.0.1 } }\n}\n';

before(() => {
  if (skip) return;
  requirePrograms('ip', 'nft');
  const made = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
});

after(() => {
  if (!skip) spawnSync('ip', ['netns', 'del', ns]);
});

const elements = async (): Promise<string[]> => [...(await runNft(nft, ['-j', 'list', 'set', 'inet', 'spawner_test', 'allowed'])).matchAll(/10\.250\.\d+\.\d+/g)].map((m) => m[0]);

test('scripts apply in turn through processes started ahead, and a refused one reports nft\'s error and changes nothing', { skip }, async () => {
  await runNft(nft, ['-f', '-'], TABLE);
  for (let i = 2; i <= 4; i++) await runNft(nft, ['-f', '-'], `add element inet spawner_test allowed { 10.250.0.${i} }\n`);
  assert.deepEqual(await elements(), ['10.250.0.1', '10.250.0.2', '10.250.0.3', '10.250.0.4']);
  await assert.rejects(
    runNft(nft, ['-f', '-'], 'add element inet spawner_test allowed { 10.250.0.5 }\nadd element inet spawner_test absent { 10.250.0.6 }\n'),
    /^Error: nft -f - failed \(exit 1\): .*No such file or directory/,
  );
  assert.deepEqual(await elements(), ['10.250.0.1', '10.250.0.2', '10.250.0.3', '10.250.0.4'], 'the refused transaction added nothing');
});

test('a streamed script applies when its input ends, not before; aborted or refused, it changes nothing', { skip }, async () => {
  await runNft(nft, ['-f', '-'], `add table inet spawner_test\ndelete table inet spawner_test\n${TABLE}`); // a fresh table
  const add = (n: number) => `add element inet spawner_test allowed { 10.250.0.${n} }\n`;
  const streamed = streamNft(nft);
  streamed.write(add(20));
  await runNft(nft, ['-f', '-'], add(21)); // runs while the stream is open
  assert.deepEqual(await elements(), ['10.250.0.1', '10.250.0.21'], 'nothing of the stream before its end');
  streamed.write(add(22));
  await streamed.end();
  assert.deepEqual(await elements(), ['10.250.0.1', '10.250.0.20', '10.250.0.21', '10.250.0.22']);

  const aborted = streamNft(nft);
  aborted.write(add(23));
  aborted.abort();
  await runNft(nft, ['-f', '-'], add(24)); // the spawner handles the abort before this command
  const refused = streamNft(nft);
  refused.write(add(25));
  refused.write('add element inet spawner_test absent { 10.250.0.26 }\n');
  await assert.rejects(refused.end(), /^Error: nft -f \(streamed\) failed \(exit 1\): .*No such file or directory/);
  assert.deepEqual(await elements(), ['10.250.0.1', '10.250.0.20', '10.250.0.21', '10.250.0.22', '10.250.0.24'], 'neither the aborted nor the refused script added anything');
});

test('a spawner that dies fails the command it ran, and the next command starts a new one', { skip }, async () => {
  await runNft(nft, ['-f', '-'], TABLE);
  const first = spawnerPid();
  assert.ok(first);
  const running = runProcess(['sleep', '10']);
  process.kill(first, 'SIGKILL');
  await assert.rejects(running, /the spawner process exited \(SIGKILL\) before the command ended/);
  await runNft(nft, ['-f', '-'], 'add element inet spawner_test allowed { 10.250.0.9 }\n');
  assert.ok((await elements()).includes('10.250.0.9'));
  assert.notEqual(spawnerPid(), first);
});

test('a spawner that dies during a stream fails that stream, and writes after it are dropped', { skip }, async () => {
  await runNft(nft, ['-f', '-'], 'add element inet spawner_test allowed { 10.250.0.40 }\n'); // a spawner runs
  const streamed = streamNft(nft);
  // nft then reads an end of input: the egress data plane holds back its script's last piece (see nft.ts), so
  // what it has read is an unterminated table, which it refuses.
  streamed.write('table inet spawner_test {\n');
  process.kill(spawnerPid()!, 'SIGKILL');
  for (let i = 0; i < 4; i++) streamed.write(`# ${'x'.repeat(70_000)}\n`); // pieces sent while and after it goes
  await assert.rejects(streamed.end(), /the spawner process exited \(SIGKILL\)|cannot reach the spawner process/);
  await runNft(nft, ['-f', '-'], 'add element inet spawner_test allowed { 10.250.0.42 }\n'); // a new spawner
  assert.ok((await elements()).includes('10.250.0.42'));
});

test('a command past its timeout is killed; a missing program is named', { skip }, async () => {
  const ended = await runProcess(['sleep', '30'], '', 200);
  assert.equal(ended.signal, 'SIGTERM');
  await assert.rejects(runNft(['rampart-no-such-nft'], ['-f', '-'], ''), /cannot run rampart-no-such-nft -f -: spawn rampart-no-such-nft ENOENT/);
});

test('a process that has finished its nft work exits: the spawner does not keep it alive, and goes with it', { skip }, async () => {
  const script = `import { runNft } from './src/core/dataplane/nft-command.ts'; import { spawnerPid } from './src/core/dataplane/spawner.ts';
    await runNft(${JSON.stringify(nft)}, ['-f', '-'], 'add element inet spawner_test allowed { 10.250.0.7 }\\n'); console.log(spawnerPid());`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 0, child.stderr);
  const pid = Number(child.stdout.trim());
  await waitFor('the spawner to exit after its parent', () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 30_000);
});
