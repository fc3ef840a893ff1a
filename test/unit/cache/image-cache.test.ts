import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  cachedRootfs,
  findCachedImage,
  imageDir,
  listCachedImages,
  pruneCache,
} from '../../../src/cache/image-cache.js';
import { probeDirectory } from '../../../src/flatten/directory-probe.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import type { Image } from '../../../src/image/types.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import type { EntrySpec } from '../../helpers/tar-builder.js';

async function withImage<T>(layers: EntrySpec[][], tag: string, fn: (image: Image) => Promise<T>): Promise<T> {
  const archive = await openLocalArchive(writeDockerSave([{ layers, tags: [tag], config: { Cmd: ['/bin/sh'] } }]));
  try {
    return await fn(selectImage(archive));
  } finally {
    await archive.close();
  }
}

const SMALL: EntrySpec[][] = [[{ path: 'etc/' }, { path: 'etc/hostname', content: 'cached' }]];

test('an image is flattened once, keyed by its config digest, and found by name or digest prefix', async () => {
  const root = tempDir();
  await withImage(SMALL, 'small:1', async (image) => {
    const first = await cachedRootfs(root, image);
    assert.equal(first.fresh, true);
    assert.equal(first.rootfs, join(imageDir(root, image.id), 'rootfs'));
    assert.equal(readFileSync(join(first.rootfs, 'etc/hostname'), 'utf8'), 'cached');
    const inode = statSync(first.rootfs).ino;
    const second = await cachedRootfs(root, image);
    assert.equal(second.fresh, false);
    assert.equal(statSync(second.rootfs).ino, inode, 'the same tree, not a new one');
    const [record] = listCachedImages(root);
    assert.equal(record?.id, image.id);
    assert.deepEqual(record?.names, ['small:1']);
    assert.ok((record?.bytes ?? 0) >= 6);
    assert.equal(findCachedImage(root, 'small:1').id, image.id);
    assert.equal(findCachedImage(root, image.id.slice(7, 15)).id, image.id);
    assert.throws(
      () => findCachedImage(root, 'small'),
      { code: 'UNDOCKER_NOT_FOUND', message: /no cached image small/ },
      'tag latest by default',
    );
  });
});

test('two runs flattening one image at once both get the one complete tree', async () => {
  const root = tempDir();
  const big = Buffer.alloc(8 << 20, 7);
  await withImage(
    [
      [
        { path: 'a', content: big },
        { path: 'b', content: big },
      ],
    ],
    'pair:1',
    async (image) => {
      const results = await Promise.all([cachedRootfs(root, image), cachedRootfs(root, image)]);
      assert.equal(results[0].rootfs, results[1].rootfs);
      assert.deepEqual(
        readdirSync(imageDir(root, image.id)).sort(),
        ['image.json', 'rootfs'],
        'no temporary tree left behind',
      );
      assert.equal(statSync(join(results[0].rootfs, 'b')).size, big.length);
    },
  );
});

test('an interrupted flatten leaves no image, and prune clears what it left', async () => {
  const root = tempDir();
  await withImage(SMALL, 'cut:1', async (image) => {
    await assert.rejects(cachedRootfs(root, image, { signal: AbortSignal.abort() }));
    assert.deepEqual(listCachedImages(root), []);
    // What a killed run leaves: the image folder with a half-written temporary tree.
    mkdirSync(join(imageDir(root, image.id), '.rootfs.undocker-tmp-dead'), { recursive: true });
    assert.deepEqual(pruneCache(root), [`leftover ${image.id.slice(7, 19)}`]);
    assert.equal(existsSync(imageDir(root, image.id)), false);
    assert.equal((await cachedRootfs(root, image)).fresh, true, 'the next run flattens it whole');
  });
});

test('the directory probe resolves paths as a chroot would: no read outside the rootfs', () => {
  const root = tempDir();
  const outside = tempDir();
  writeFileSync(join(outside, 'secret'), 'host');
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/real'), 'inside');
  symlinkSync('/etc/real', join(root, 'etc/passwd'));
  symlinkSync(`../../../../../../..${outside}/secret`, join(root, 'etc/group'));
  symlinkSync(outside, join(root, 'out'));
  const probe = probeDirectory(root);
  assert.equal(probe.text('etc/passwd'), 'inside', 'an absolute link resolves in the rootfs');
  assert.equal(probe.text('etc/group'), undefined, '.. stops at the rootfs');
  assert.equal(probe.text('out/secret'), undefined);
  assert.equal(probe.exists('etc/real'), true);
  assert.equal(probe.exists('etc/missing'), false);
});
