/**
 * The tar output reads every layer twice: headers to plan, then data. A layer that reads
 * differently the second time must fail rather than lose or mislabel a file.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { rootfsTarChunks } from '../../../src/flatten/rootfs-tar.js';
import type { Image, Layer } from '../../../src/image/types.js';
import { collect } from '../../helpers/flatten.js';
import { makeTar } from '../../helpers/tar-builder.js';

/** imageOfReads is a one-layer image whose layer gives `reads[0]` when first opened, then `reads[1]`. */
function imageOfReads(reads: [Buffer, Buffer]): Image {
  let opened = 0;
  const layer: Layer = {
    id: 'layer',
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
    size: reads[0].length,
    where: 'layer 1 (test)',
    open: () => Readable.from([reads[Math.min(opened++, 1)] as Buffer]),
  };
  return {
    id: 'image',
    names: [],
    config: { os: 'linux', architecture: 'amd64', config: {}, rootfs: { type: 'layers', diff_ids: [] } },
    layers: [layer],
  };
}

const FIRST = makeTar([
  { path: 'a', content: 'alpha' },
  { path: 'b', content: 'beta' },
]);

test('a layer read the same way twice gives both files, the second read supplying the data', async () => {
  const tar = await collect(rootfsTarChunks(imageOfReads([FIRST, FIRST])));
  assert.match(tar.toString('latin1'), /alpha[^]*beta/);
});

test('a layer that loses a planned file on its second read fails and names the entry', async () => {
  const shorter = makeTar([{ path: 'a', content: 'alpha' }]);
  await assert.rejects(collect(rootfsTarChunks(imageOfReads([FIRST, shorter]))), {
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: 'layer 1 (test): entry 1 changed between two reads of the layer',
  });
});

test('a layer whose planned file changes size on its second read fails and names the entry', async () => {
  const longer = makeTar([
    { path: 'a', content: 'alpha' },
    { path: 'b', content: 'beta, longer' },
  ]);
  await assert.rejects(collect(rootfsTarChunks(imageOfReads([FIRST, longer]))), {
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: 'layer 1 (test): entry 1 changed between two reads of the layer',
  });
});
