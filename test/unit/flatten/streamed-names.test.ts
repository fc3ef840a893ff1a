/**
 * The directory output gives the top layer's files no node (streamed-names.ts). Every case here
 * flattens the same layers twice: as they are, the last one streamed, and under an empty layer,
 * which makes every name a node. Both directories must be the same (and the tars, which keep
 * every name), whether the top layer streams through or touches a file it wrote and is applied
 * again with every name kept.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { unpackRootfs } from '../../../src/flatten/rootfs.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import { flattenBoth } from '../../helpers/flatten.js';
import type { EntrySpec } from '../../helpers/tar-builder.js';
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
    assert.deepEqual(await flattenBoth([BASE, top]), await flattenBoth([BASE, top, []]));
  });
}

test('a path through a file the top layer wrote fails as it does with every name kept', async () => {
  const top = [
    { path: 'd/b', content: 'b' },
    { path: 'd/b/c', content: 'c' },
  ];
  const archive = await openLocalArchive(writeDockerSave([{ layers: [BASE, top], tags: ['test:latest'] }]));
  try {
    const target = join(tempDir(), 'rootfs');
    await assert.rejects(unpackRootfs(selectImage(archive), target), /: entry d\/b\/c: parent is not a directory$/);
    assert.equal(existsSync(target), false);
  } finally {
    await archive.close();
  }
});

test('every name added is found again, through the tables growing; names never added are not', () => {
  const names = new StreamedNames();
  for (let i = 0; i < 50_000; i++) names.add(i % 97, `f${i}`);
  for (let i = 0; i < 50_000; i++) assert.ok(names.has(i % 97, `f${i}`), `f${i} in ${i % 97}`);
  let found = 0;
  for (let i = 0; i < 50_000; i++) if (names.has(i % 97, `g${i}`) || names.has((i % 97) + 1, `f${i}`)) found++;
  assert.equal(found, 0);
});
