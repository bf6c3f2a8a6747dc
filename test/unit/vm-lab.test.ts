/** The VM lab's pure parts: the initramfs archive and the module load order (test/helpers/vm-lab.ts). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findProgram } from '../helpers/e2e.js';
import { dir, file, moduleLoadOrder, newcArchive } from '../helpers/vm-lab.js';

test('modules load dependencies first, each once, from modules.dep', () => {
  const root = mkdtempSync(join(tmpdir(), 'rampart-vm-modules-'));
  try {
    writeFileSync(join(root, 'modules.dep'), [
      'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
      'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
      'kernel/fs/netfs/netfs.ko:',
      'kernel/net/9p/9pnet.ko:',
      'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
      'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
      'kernel/drivers/virtio/virtio_ring.ko:',
      'kernel/net/8021q/8021q.ko.xz:',
    ].join('\n'));
    assert.deepEqual(moduleLoadOrder(root, ['9pnet_virtio', '9p']), [
      'kernel/net/9p/9pnet.ko', 'kernel/drivers/virtio/virtio_ring.ko', 'kernel/drivers/virtio/virtio.ko', 'kernel/net/9p/9pnet_virtio.ko',
      'kernel/fs/netfs/netfs.ko', 'kernel/fs/fscache/fscache.ko', 'kernel/fs/9p/9p.ko',
    ]);
    assert.throws(() => moduleLoadOrder(root, ['8021q']), /module 8021q not found/, 'compressed modules are not offered to busybox insmod');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the initramfs archive unpacks with a real cpio: names, contents and modes kept', { skip: findProgram('/bin/busybox') ? false : 'needs /bin/busybox' }, () => {
  const out = mkdtempSync(join(tmpdir(), 'rampart-vm-cpio-'));
  try {
    const archive = newcArchive([dir('bin'), file('init', '#!/bin/sh\necho hi\n', 0o755), file('bin/odd-size', 'abc'), file('empty', '')]);
    const unpacked = spawnSync('/bin/busybox', ['cpio', '-id'], { cwd: out, input: archive, encoding: 'utf8' });
    assert.equal(unpacked.status, 0, unpacked.stderr);
    const list = spawnSync('/bin/busybox', ['cpio', '-t'], { input: archive, encoding: 'utf8' }).stdout.trim().split('\n');
    assert.deepEqual(list, ['bin', 'init', 'bin/odd-size', 'empty']);
    const ls = spawnSync('/bin/busybox', ['stat', '-c', '%n %a %s', 'init', 'bin/odd-size', 'empty'], { cwd: out, encoding: 'utf8' }).stdout;
    assert.equal(ls, 'init 755 18\nbin/odd-size 644 3\nempty 644 0\n');
    assert.equal(readFileSync(join(out, 'init'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(readFileSync(join(out, 'bin/odd-size'), 'utf8'), 'abc');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
