import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cacheImage, findCachedImage, imageDir, listCachedImages, pruneCache } from '../../../src/cache/image-cache.js';
import { openImageView } from '../../../src/cache/image-view.js';
import { layerDir, layersDir } from '../../../src/cache/layer-store.js';
import { SET_ASIDE_PREFIX } from '../../../src/cache/set-aside.js';
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

test('an image is unpacked once, keyed by its config digest, and found by name or digest prefix', async () => {
  const root = tempDir();
  await withImage(SMALL, 'small:1', async (image) => {
    const first = await cacheImage(root, image);
    assert.equal(first.fresh, true);
    const [chainId] = first.record.layers ?? [];
    assert.ok(chainId !== undefined, 'kept as layers');
    const diff = join(layerDir(root, chainId), 'diff');
    assert.equal(readFileSync(join(diff, 'etc/hostname'), 'utf8'), 'cached');
    const inode = statSync(diff).ino;
    const second = await cacheImage(root, image);
    assert.equal(second.fresh, false);
    assert.equal(statSync(diff).ino, inode, 'the same tree, not a new one');
    const view = await openImageView(root, second.record, 'small:1');
    assert.equal(view.dir, diff, 'one layer is its own view: no mount');
    await view.close();
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

test('a cache made before the layer store keeps working: its flattened tree is the image', async () => {
  const root = tempDir();
  await withImage(SMALL, 'old:1', async (image) => {
    const dir = imageDir(root, image.id);
    mkdirSync(join(dir, 'rootfs/etc'), { recursive: true });
    writeFileSync(join(dir, 'rootfs/etc/hostname'), 'old');
    const now = new Date().toISOString();
    const old = { id: image.id, names: ['old:1'], bytes: 3, created: now, lastUsed: now };
    writeFileSync(join(dir, 'image.json'), JSON.stringify(old));
    const { record, fresh } = await cacheImage(root, image);
    assert.equal(fresh, false);
    assert.equal(record.layers, undefined);
    const view = await openImageView(root, record, 'old:1');
    assert.equal(readFileSync(join(view.dir, 'etc/hostname'), 'utf8'), 'old');
    await view.close();
  });
});

test('an interrupted unpack leaves no image, and prune clears what it left', async () => {
  const root = tempDir();
  await withImage(SMALL, 'cut:1', async (image) => {
    await assert.rejects(cacheImage(root, image, { signal: AbortSignal.abort() }));
    assert.deepEqual(listCachedImages(root), []);
    // What a killed run leaves: the image's record, and a half-made diff whose process is gone.
    mkdirSync(join(layersDir(root), '.unpack-999999999-dead/diff'), { recursive: true });
    assert.deepEqual(pruneCache(root).sort(), [`leftover ${image.id.slice(7, 19)}`, 'unfinished layer 999999999-dead']);
    assert.equal(existsSync(imageDir(root, image.id)), false);
    assert.deepEqual(readdirSync(layersDir(root)), []);
    assert.equal((await cacheImage(root, image)).fresh, true, 'the next run unpacks it whole');
  });
});

test('an image folder set aside by a removal is never listed; its layers stay while its remover lives', async () => {
  const root = tempDir();
  await withImage(SMALL, 'aside:1', async (image) => {
    await cacheImage(root, image);
    const hex = image.id.slice(7);
    // Another remover, alive (this process), has it aside: it may yet go back, layers and all.
    const living = join(root, 'images', `${SET_ASIDE_PREFIX}${process.pid}-${hex}`);
    renameSync(imageDir(root, image.id), living);
    assert.deepEqual(listCachedImages(root), []);
    assert.deepEqual(pruneCache(root), []);
    assert.equal(readdirSync(layersDir(root)).length, 1);
    // Its remover died: a leftover, and its layer with it.
    const dead = join(root, 'images', `${SET_ASIDE_PREFIX}${spawnSync('true').pid ?? 999_999_999}-${hex}`);
    renameSync(living, dead);
    assert.match(pruneCache(root).join(' '), new RegExp(`^leftover ${hex.slice(0, 12)} layer [0-9a-f]{12}$`));
    assert.deepEqual(readdirSync(join(root, 'images')), []);
    assert.deepEqual(readdirSync(layersDir(root)), []);
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
