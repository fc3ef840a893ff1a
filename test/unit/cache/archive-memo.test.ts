/**
 * The run cache's memo of what an archive file holds: recalled only while the file is the one
 * read, with the same images as a real read; its layers read the archive for real, once.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, renameSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  archiveIdentity,
  forgetArchives,
  recallArchive,
  RECENT_MS,
  rememberArchive,
} from '../../../src/cache/archive-memo.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import type { ImageArchive, Layer } from '../../../src/image/types.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';

/** twoImages is an archive of two images of two and one layers. */
function twoImages(): string {
  return writeDockerSave([
    {
      layers: [[{ path: 'etc/' }, { path: 'etc/hostname', content: 'base' }], [{ path: 'app', content: 'app' }]],
      tags: ['app:1'],
      config: { Cmd: ['/app'], Env: ['A=1'] },
    },
    { layers: [[{ path: 'other', content: 'other' }]], tags: ['other:2'], config: { Cmd: ['/other'] } },
  ]);
}

/** remembered reads `path` for real and remembers it in `root`, once it is old enough; the archive is closed again. */
async function remembered(root: string, path: string): Promise<ImageArchive> {
  await sleep(RECENT_MS);
  const before = archiveIdentity(path);
  assert.ok(before !== undefined);
  const archive = await openLocalArchive(path);
  rememberArchive(root, path, archive, before);
  await archive.close();
  return archive;
}

/** layerText is what a layer's stream holds, as text. */
async function layerText(layer: Layer | undefined): Promise<string> {
  assert.ok(layer !== undefined);
  return text(layer.open());
}

/** counting is a reopen that opens `path` for real and counts how often it was called. */
function counting(path: string): { reopen: () => Promise<ImageArchive>; calls: () => number } {
  let calls = 0;
  return {
    reopen: () => {
      calls += 1;
      return openLocalArchive(path);
    },
    calls: () => calls,
  };
}

test('a remembered archive is recalled with the images a real read finds, and read only for a layer', async () => {
  const root = tempDir();
  const path = twoImages();
  const real = await remembered(root, path);
  const { reopen, calls } = counting(path);
  const recalled = recallArchive(root, path, reopen);
  assert.ok(recalled !== undefined);
  assert.equal(recalled.where, real.where);
  assert.equal(recalled.format, real.format);
  const shape = (archive: ImageArchive): unknown =>
    archive.images.map(({ layers, configBytes: _bytes, ...image }) => ({
      ...image,
      layers: layers.map(({ open: _open, openFile, ...layer }) => ({ ...layer, file: openFile !== undefined })),
    }));
  assert.deepEqual(shape(recalled), shape(real));
  assert.equal(calls(), 0, 'nothing read yet');
  const [app, other] = recalled.images;
  assert.ok(app !== undefined && other !== undefined);
  // Layers of both images, through open and openFile, come from one real read.
  const first = await app.layers[0]?.openFile?.();
  assert.ok(first !== undefined && first.size > 0);
  assert.match(await layerText(app.layers[1]), /app/);
  assert.match(await layerText(other.layers[0]), /other/);
  assert.equal(calls(), 1);
  await recalled.close();
});

test('an archive written, replaced or at another path since is read again; a memo goes with prune', async () => {
  const root = tempDir();
  const path = twoImages();
  await remembered(root, path);
  const never = (): Promise<ImageArchive> => assert.fail('recall does not read');
  assert.ok(recallArchive(root, path, never) !== undefined);
  // The same bytes under another name: another path.
  const copy = join(tempDir(), 'copy.tar');
  copyFileSync(path, copy);
  assert.equal(recallArchive(root, copy, never), undefined);
  // Written, even with its size and mtime as they were: the ctime moves.
  const { size, atime, mtime } = statSync(path);
  appendFileSync(path, Buffer.alloc(0));
  appendFileSync(path, 'x');
  utimesSync(path, atime, mtime);
  assert.notEqual(statSync(path).size, size);
  assert.equal(recallArchive(root, path, never), undefined);
  await remembered(root, path);
  assert.ok(recallArchive(root, path, never) !== undefined);
  // Replaced by another file under its name.
  renameSync(copy, path);
  assert.equal(recallArchive(root, path, never), undefined);
  // Nothing is remembered of a file that changed while it was read, nor of a folder or a missing file.
  const before = archiveIdentity(path);
  assert.ok(before !== undefined);
  const archive = await openLocalArchive(path);
  appendFileSync(path, 'y');
  await sleep(RECENT_MS);
  rememberArchive(root, path, archive, before);
  await archive.close();
  assert.equal(recallArchive(root, path, never), undefined);
  // Nor of one written a moment ago: a write in the same tick of the kernel's clock could keep its times.
  const fresh = twoImages();
  const now = archiveIdentity(fresh);
  assert.ok(now !== undefined);
  const freshArchive = await openLocalArchive(fresh);
  rememberArchive(root, fresh, freshArchive, now);
  await freshArchive.close();
  assert.equal(recallArchive(root, fresh, never), undefined);
  assert.equal(archiveIdentity(root), undefined);
  assert.equal(archiveIdentity(join(root, 'missing.tar')), undefined);
  forgetArchives(root);
  assert.equal(existsSync(join(root, 'archives')), false);
});

test('a remembered layer whose archive cannot be read again fails its reader, nothing else', async () => {
  const root = tempDir();
  const path = twoImages();
  await remembered(root, path);
  const recalled = recallArchive(root, path, () => Promise.reject(new Error('the archive is gone')));
  const layer = recalled?.images[0]?.layers[0];
  assert.ok(layer !== undefined);
  await assert.rejects(text(layer.open()), /the archive is gone/);
  await assert.rejects(async () => layer.openFile?.(), /the archive is gone/);
  // Read again, but its layer cannot be opened: the error reaches the reader too.
  const real = await openLocalArchive(path);
  const [image] = real.images;
  assert.ok(image !== undefined);
  const failing: ImageArchive = {
    ...real,
    images: [{ ...image, layers: image.layers.map((one) => ({ ...one, open: () => assert.fail('cannot open') })) }],
  };
  const again = recallArchive(root, path, () => Promise.resolve(failing))?.images[0]?.layers[0];
  assert.ok(again !== undefined);
  await assert.rejects(text(again.open()), /cannot open/);
  await real.close();
});
