/**
 * What the filesystem does to an output, on real filesystems: a full disk and a read-only
 * mount name the output and the entry; a non-root run keeps no setuid bit it cannot own; names
 * that are not UTF-8 reach mknod, mkfifo and setfattr byte for byte.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { undocker, UNDOCKER } from '../helpers/cli.js';

const SKIP = process.getuid?.() !== 0 ? 'needs root to mount file systems and make devices' : false;

let work: string;
const mounts: string[] = [];

before(() => {
  if (SKIP) return;
  work = tempDir('undocker-output-');
  chmodSync(work, 0o755);
});

after(() => {
  if (SKIP) return;
  for (const mount of mounts) spawnSync('umount', [mount]);
  execFileSync('rm', ['-rf', work]);
});

/** tmpfs mounts a small tmpfs; `readOnly` remounts it read-only. */
function tmpfs(name: string, options: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

const BIG_IMAGE = (): string =>
  writeDockerSave([
    {
      layers: [
        [
          { path: 'usr/' },
          { path: 'usr/lib/' },
          { path: 'usr/lib/small', content: 'x' },
          { path: 'usr/lib/big.so', content: Buffer.alloc(3 * 1024 * 1024, 1) },
        ],
      ],
      tags: ['big:1'],
    },
  ]);

test('a full disk names the output and the entry, and leaves nothing behind', { skip: SKIP }, async (t) => {
  const disk = tmpfs('full', 'size=1m');
  const image = BIG_IMAGE();
  await t.test('into a directory', () => {
    const result = undocker(['rootfs', image, '-C', join(disk, 'rootfs')]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `undocker: writing ${join(disk, 'rootfs')}: usr/lib/big.so: no space left on device\n`);
    assert.deepEqual(readdirSync(disk), []);
  });
  await t.test('to a tar file', () => {
    const result = undocker(['rootfs', image, join(disk, 'rootfs.tar')]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `undocker: writing ${join(disk, 'rootfs.tar')}: no space left on device\n`);
    assert.deepEqual(readdirSync(disk), []);
  });
});

test('a read-only file system names the output', { skip: SKIP }, () => {
  const disk = tmpfs('ro', 'size=1m,ro');
  const result = undocker(['rootfs', BIG_IMAGE(), '-C', join(disk, 'rootfs')]);
  assert.equal(result.status, 1);
  assert.equal(result.stderr, `undocker: writing ${join(disk, 'rootfs')}: read-only file system\n`);
});

test(
  'setuid and setgid are dropped where a non-root run cannot keep the owner (--ignore-errors)',
  { skip: SKIP },
  () => {
    const image = writeDockerSave([
      {
        layers: [
          [
            { path: 'bin/' },
            { path: 'bin/su', content: 'root setuid', mode: 0o4755 },
            { path: 'bin/wall', content: 'tty setgid', mode: 0o2755, gid: 5 },
            { path: 'bin/plain', content: 'plain', mode: 0o755 },
          ],
        ],
        tags: ['setid:1'],
      },
    ]);
    chmodSync(image, 0o644);
    const target = join(work, 'nobody-rootfs');
    chmodSync(work, 0o777);
    const result = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', UNDOCKER, 'rootfs', image, '-C', target, '--ignore-errors'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    chmodSync(work, 0o755);
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stderr,
      /^warning: skipping ownership the filesystem refuses \(first at .*\); setuid and setgid bits are dropped where the owner is not kept\n$/,
    );
    assert.equal(lstatSync(join(target, 'bin/su')).mode & 0o7777, 0o755);
    assert.equal(lstatSync(join(target, 'bin/wall')).mode & 0o7777, 0o755);
    assert.equal(lstatSync(join(target, 'bin/plain')).mode & 0o7777, 0o755);
    assert.equal(lstatSync(join(target, 'bin/su')).uid, 65534);
  },
);

test('names that are not UTF-8 reach mknod, mkfifo and setfattr byte for byte', { skip: SKIP }, () => {
  const raw = (text: string): string => Buffer.from(text, 'latin1').toString('latin1');
  const image = writeDockerSave([
    {
      layers: [
        [
          { path: 'dev/' },
          { path: raw('dev/caf\xe9'), rawPath: true, type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
          { path: raw('dev/p\xe9pe'), rawPath: true, type: 'fifo', mode: 0o600 },
          {
            path: raw('d\xe9j\xe0 vu'),
            rawPath: true,
            content: 'xattr',
            xattrs: { 'user.note': 'kept', 'trusted.t': Buffer.from([0, 1, 2]) },
          },
        ],
      ],
      tags: ['raw:1'],
    },
  ]);
  const target = join(work, 'raw-rootfs');
  const result = undocker(['rootfs', image, '-C', target]);
  assert.equal(result.status, 0, result.stderr);
  const dev = readdirSync(join(target, 'dev'), { encoding: 'buffer' })
    .map((name) => name.toString('latin1'))
    .sort();
  assert.deepEqual(dev, ['caf\xe9', 'p\xe9pe']);
  const device = lstatSync(Buffer.from(join(target, 'dev/caf\xe9'), 'latin1'));
  assert.ok(device.isCharacterDevice());
  assert.equal(device.rdev, 259);
  assert.ok(lstatSync(Buffer.from(join(target, 'dev/p\xe9pe'), 'latin1')).isFIFO());
  const files = execFileSync('getfattr', ['-R', '-d', '-m', '-', '-e', 'hex', '.'], {
    cwd: target,
    encoding: 'latin1',
  });
  assert.match(files, /# file: d\xe9j\xe0 vu\ntrusted\.t=0x000102\nuser\.note=0x6b657074\n/);
  assert.deepEqual(
    readdirSync(target).filter((name) => name.startsWith('.undocker')),
    [],
  );
});
