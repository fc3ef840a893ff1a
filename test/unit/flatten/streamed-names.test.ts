/**
 * The top layer's files get no node (streamed-names.ts). Every case here flattens the same
 * layers twice: as they are, the last one streamed, and under an empty layer, which makes every
 * name a node. Both outputs must be the same, byte for byte for the tar, whether the top layer
 * streams through or touches a file it wrote and is applied again with every name kept.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { replayLayers } from '../../../src/flatten/rootfs-tar.js';
import type { Layer } from '../../../src/image/types.js';
import { flattenBoth, flattenToTar } from '../../helpers/flatten.js';
import { makeTar, type EntrySpec } from '../../helpers/tar-builder.js';
import { StreamedNames } from '../../../src/flatten/streamed-names.js';

const BASE: EntrySpec[] = [
  { path: 'd/', type: 'directory' },
  { path: 'd/a', content: 'lower a' },
  { path: 'd/sub/', type: 'directory' },
  { path: 'd/sub/s', content: 'lower s' },
  { path: 'link', type: 'symlink', linkname: 'd' },
];

const TOPS: Record<string, EntrySpec[]> = {
  'new files, one over a lower file, one through a symlink': [
    { path: 'd/a', content: 'upper a' },
    { path: 'd/b', content: 'b' },
    { path: 'link/c', content: 'c' },
    { path: 'new/deep/f', content: 'f' },
  ],
  'the same name twice': [
    { path: 'd/b', content: 'first' },
    { path: 'd/b', content: 'second' },
  ],
  'a file, then its folder replaced by a file': [
    { path: 'd/sub/t', content: 't' },
    { path: 'd/sub', content: 'now a file' },
  ],
  'a file, then a hardlink to it': [
    { path: 'd/b', content: 'b' },
    { path: 'd/hard', type: 'hardlink', linkname: 'd/b' },
  ],
  'a file, then a whiteout of its folder, which spares it': [
    { path: 'd/sub/t', content: 't' },
    { path: 'd/.wh.sub', content: '' },
  ],
  'a file, then an opaque whiteout of its folder, which spares it': [
    { path: 'd/b', content: 'b' },
    { path: 'd/.wh..wh..opq', content: '' },
  ],
  'a file, then its folder replaced by a symlink': [
    { path: 'd/sub/t', content: 't' },
    { path: 'd/sub', type: 'symlink', linkname: '../new' },
  ],
  'a whiteout of its own file': [
    { path: 'd/b', content: 'b' },
    { path: 'd/.wh.b', content: '' },
  ],
};

for (const [name, top] of Object.entries(TOPS)) {
  test(`top layer streamed or kept whole, the same rootfs: ${name}`, async () => {
    const streamed = await flattenToTar([BASE, top]);
    const kept = await flattenToTar([BASE, top, []]);
    assert.ok(streamed.equals(kept), 'the same tar bytes');
    assert.deepEqual(await flattenBoth([BASE, top]), await flattenBoth([BASE, top, []]));
  });
}

test('a path through a file the top layer wrote fails as it does with every name kept', async () => {
  const top = [
    { path: 'd/b', content: 'b' },
    { path: 'd/b/c', content: 'c' },
  ];
  await assert.rejects(flattenToTar([BASE, top]), /: entry d\/b\/c: parent is not a directory$/);
});

function layerOf(entries: EntrySpec[], where: string): Layer {
  const tar = makeTar(entries);
  return {
    id: where,
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
    size: tar.length,
    where,
    open: () => Readable.from([tar]),
  };
}

test("the top layer's files get no node: the tree holds its folders, the fingerprints its files", async () => {
  const files = Array.from({ length: 3000 }, (_, i) => ({ path: `srv/d${i % 30}/f${i}`, content: `${i}` }));
  const layers = [layerOf(BASE, 'layer 1'), layerOf(files, 'layer 2')];
  const streamed = await replayLayers(layers, undefined, undefined, true);
  assert.ok(streamed.streamed instanceof StreamedNames);
  assert.equal(streamed.streamed.count, 3000);
  assert.ok(streamed.tree.count < 100, `${streamed.tree.count} nodes`);
  const kept = await replayLayers(layers);
  assert.equal(kept.streamed, undefined);
  assert.ok(kept.tree.count > 3000);
});

test('every name added is found again, through the tables growing; names never added are not', () => {
  const names = new StreamedNames(true);
  for (let i = 0; i < 50_000; i++) names.add(i % 97, `f${i}`, i * 2);
  for (let i = 0; i < 50_000; i++) assert.ok(names.has(i % 97, `f${i}`), `f${i} in ${i % 97}`);
  let found = 0;
  for (let i = 0; i < 50_000; i++) if (names.has(i % 97, `g${i}`) || names.has((i % 97) + 1, `f${i}`)) found++;
  assert.equal(found, 0);
  assert.ok(names.wasStreamed(4) && !names.wasStreamed(5));
  assert.equal(names.parentAt(1234), 1234 % 97);
});
