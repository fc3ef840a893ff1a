/**
 * Hostile layers: nothing is ever written outside the target, and each is refused with one
 * line (as go-containerregistry's TestExtractRejectsUnsafeArchivePaths).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import { unpackRootfs } from '../../../src/flatten/rootfs.js';
import { flattenToTar } from '../../helpers/flatten.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import type { EntrySpec } from '../../helpers/tar-builder.js';

const cases: Array<{ name: string; layers: EntrySpec[][]; code: string; message: RegExp }> = [
  {
    name: 'a ../ path that climbs out of the root',
    layers: [[{ path: '../../escaped', content: 'x' }]],
    code: 'UNDOCKER_UNSAFE_PATH',
    message: /entry \.\.\/\.\.\/escaped points outside the root filesystem/,
  },
  {
    name: 'a hardlink to a file outside the root',
    layers: [[{ path: 'shadow', type: 'hardlink', linkname: '../../../etc/shadow' }]],
    code: 'UNDOCKER_UNSAFE_PATH',
    message: /hardlink target \.\.\/\.\.\/\.\.\/etc\/shadow is outside the root filesystem/,
  },
  {
    name: 'a hardlink to a file that does not exist',
    layers: [[{ path: 'x', type: 'hardlink', linkname: 'nothing' }]],
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: /hardlink target nothing does not exist/,
  },
  {
    name: 'a hardlink through a symlink to a host directory',
    layers: [
      [
        { path: 'hostetc', linkname: '/etc' },
        { path: 'x', type: 'hardlink', linkname: 'hostetc/hostname' },
      ],
    ],
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: /hardlink target hostetc\/hostname does not exist/,
  },
  {
    name: 'a symlink that points at itself through the root',
    layers: [
      [
        { path: 'etc', linkname: '/etc' },
        { path: 'etc/passwd', content: 'x' },
      ],
    ],
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: /too many levels of symbolic links at etc/,
  },
  {
    name: 'a symlink loop in a parent path',
    layers: [
      [
        { path: 'a', linkname: 'b' },
        { path: 'b', linkname: 'a' },
        { path: 'a/x', content: '1' },
      ],
    ],
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: /too many levels of symbolic links/,
  },
];

for (const c of cases) {
  test(`hostile: ${c.name} is refused and writes nothing`, async () => {
    await assert.rejects(
      flattenToTar(c.layers),
      (e: Error & { code?: string }) => e.code === c.code && c.message.test(e.message),
    );
    const parent = tempDir();
    const target = join(parent, 'rootfs');
    const archive = await openLocalArchive(writeDockerSave([{ layers: c.layers }]));
    await assert.rejects(
      unpackRootfs(selectImage(archive), target),
      (e: Error & { code?: string }) => e.code === c.code,
    );
    await archive.close();
    assert.deepEqual(readdirSync(parent), [], 'no target and no temporary directory left behind');
    assert.ok(!existsSync(join(parent, '..', 'escaped')));
  });
}

test('hostile: a symlink to / in a parent path writes inside the target, never to the host', async () => {
  const parent = tempDir();
  const target = join(parent, 'rootfs');
  const archive = await openLocalArchive(
    writeDockerSave([
      {
        layers: [
          [
            { path: 'etc', linkname: '/' },
            { path: 'etc/undocker-escape-test', content: 'x' },
            { path: 'up', linkname: '../../../..' },
            { path: 'up/undocker-escape-test2', content: 'y' },
          ],
        ],
      },
    ]),
  );
  await unpackRootfs(selectImage(archive), target);
  await archive.close();
  assert.ok(existsSync(join(target, 'undocker-escape-test')));
  assert.ok(existsSync(join(target, 'undocker-escape-test2')));
  assert.ok(!existsSync('/undocker-escape-test') && !existsSync('/undocker-escape-test2'));
});
