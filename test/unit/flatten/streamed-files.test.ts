/**
 * The tar output keeps no node for the top layer's files (streamed-files.ts): the plan lists each
 * file's folder and header, and the data pass reads its name and size again from there. A later
 * entry that touches a listed file gives the listed files their nodes, and the rest of the layer
 * keeps nodes. Either way the tar must say what the directory output says.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { replayLayers } from '../../../src/flatten/replay-layers.js';
import { rootfsTarChunks } from '../../../src/flatten/rootfs-tar.js';
import type { Image, Layer } from '../../../src/image/types.js';
import { tempDir } from '../../helpers/archives.js';
import { collect, flattenBoth } from '../../helpers/flatten.js';
import { type Summary, summarizeTar } from '../../helpers/summary.js';
import { type EntrySpec, makeTar, rawHeader } from '../../helpers/tar-builder.js';

const LOWER: EntrySpec[] = [
  { path: 'real/', type: 'directory' },
  { path: 'via', linkname: 'real' },
  { path: 'old', content: 'lower' },
];

/** A path over 100 bytes needs a PAX header: that file is read again whole, not from its own header. */
const LONG = `deep/${'n'.repeat(120)}`;

const TOP: EntrySpec[] = [
  { path: 'a/', type: 'directory' },
  { path: 'a/f1', content: 'one', mode: 0o600, uid: 7 },
  { path: 'via/f2', content: 'two' }, // through the lower layer's symlink: lands in real/
  { path: LONG, content: 'long', xattrs: { 'user.k': 'v' } },
  { path: '.wh.old' },
];

/** sameTree compares the two outputs, but for the symlink's mode, which a directory cannot keep (777 on Linux). */
function sameTree(tar: Summary, dir: Summary): void {
  assert.deepEqual([...tar.keys()].sort(), [...dir.keys()].sort());
  for (const [path, record] of tar) if (path !== 'via') assert.deepEqual(record, dir.get(path), path);
}

/** fileLayer is the tar `specs` (or bytes) as a plain layer in a file, as the tar output reads it, and its path. */
async function fileLayer(specs: EntrySpec[] | Buffer): Promise<Layer & { path: string }> {
  const path = join(tempDir(), 'layer.tar');
  const tar = Buffer.isBuffer(specs) ? specs : makeTar(specs);
  writeFileSync(path, tar);
  const openFile = async () => {
    const handle = await open(path, 'r');
    return { handle, start: 0, size: tar.length, close: () => handle.close() };
  };
  return {
    path,
    id: 'top',
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
    size: tar.length,
    where: 'layer 1 (test)',
    open: () => {
      throw new Error('read positionally only');
    },
    openFile,
  };
}

test('the top layer streamed: its files are listed, not nodes, and the tar says what the directory says', async () => {
  const layer = await fileLayer(TOP);
  const file = await layer.openFile!();
  try {
    const { tree, listed } = await replayLayers([layer], undefined, { listFrom: () => file });
    assert.equal(listed.get(0)?.count, 3, 'three files listed');
    const a = tree.childOf(tree.root, 'a') as number;
    assert.equal(tree.childOf(a, 'f1'), undefined, 'no node for a listed file');
  } finally {
    await file.close();
  }
  const { tar, dir } = await flattenBoth([LOWER, TOP]);
  sameTree(tar, dir);
  assert.equal(tar.get('a/f1')?.uid, 7);
  assert.equal(tar.get('a/f1')?.mode, '600');
  assert.equal(tar.get('real/f2')?.size, 3, 'written through the symlinked folder');
  assert.equal(tar.get(LONG)?.size, 4);
  assert.deepEqual(tar.get(LONG)?.xattrs, { 'user.k': Buffer.from('v').toString('hex') });
  assert.equal(tar.get('old'), undefined);
});

test('a later entry touching a listed file gives the listed files nodes, in their order', async () => {
  const touched: EntrySpec[] = [
    ...TOP,
    { path: 'a/link', type: 'hardlink', linkname: 'a/f1' },
    { path: 'a/f3', content: 'three' },
    { path: 'via/f2', content: 'again' }, // the same name twice: the later one wins
  ];
  const layer = await fileLayer(touched);
  const file = await layer.openFile!();
  try {
    const { tree, listed, kept, starts } = await replayLayers([layer], undefined, { listFrom: () => file });
    assert.equal(listed.size, 0, 'no file left listed');
    const [from, end] = kept.get(0) ?? [0, 0];
    assert.equal(end - from, 3, 'the three listed files were kept');
    const a = tree.childOf(tree.root, 'a') as number;
    const f1 = tree.childOf(a, 'f1') as number;
    const f3 = tree.childOf(a, 'f3') as number;
    assert.ok(f1 >= from && f1 < end && f1 < f3, 'kept in order, before the files made after');
    assert.ok(end <= (starts[1] as number));
    assert.equal(tree.dataBlockOf(f1) < tree.dataBlockOf(f3), true);
  } finally {
    await file.close();
  }
  const { tar, dir } = await flattenBoth([LOWER, touched]);
  sameTree(tar, dir);
  assert.equal(tar.get('a/link')?.group, 'a/f1');
  assert.equal(tar.get('real/f2')?.size, 5);
  assert.equal(tar.get('a/f3')?.size, 5);
});

test('a lower layer stays listed under layers that do not touch it, and is kept once one does', async () => {
  const lower = await fileLayer(TOP);
  const above = await fileLayer([{ path: 'b/new', content: 'n' }]);
  const touching = await fileLayer([{ path: 'a/.wh.f1' }, { path: 'a/f4', content: 'four' }]);
  const files = await Promise.all([lower.openFile!(), above.openFile!(), touching.openFile!()]);
  try {
    const untouched = await replayLayers([lower, above], undefined, { listFrom: (index) => files[index] });
    assert.deepEqual(
      [...untouched.listed].map(([index, listed]) => [index, listed.count]),
      [
        [0, 3],
        [1, 1],
      ],
    );
    const touched = await replayLayers([lower, above, touching], undefined, { listFrom: (index) => files[index] });
    assert.deepEqual([...touched.kept.keys()], [0, 1, 2], 'the whiteout reached into a folder of listed files');
    assert.equal(touched.listed.size, 0);
    const a = touched.tree.childOf(touched.tree.root, 'a') as number;
    assert.equal(touched.tree.childOf(a, 'f1'), undefined, 'removed by the whiteout');
    assert.equal(touched.tree.layerOf(touched.tree.childOf(a, 'f4') as number), 2);
  } finally {
    await Promise.all(files.map((file) => file.close()));
  }
  const { tar, dir } = await flattenBoth([LOWER, TOP, [{ path: 'b/new', content: 'n' }], [{ path: 'a/.wh.f1' }]]);
  sameTree(tar, dir);
  assert.equal(tar.get('a/f1'), undefined);
  assert.equal(tar.get('real/f2')?.size, 3);
});

test('a top layer whose file goes through a listed file fails as the unstreamed flatten does', async () => {
  const through: EntrySpec[] = [
    { path: 'x', content: 'file' },
    { path: 'x/y', content: 'under a file' },
  ];
  await assert.rejects(flattenBoth([LOWER, through]), /parent is not a directory/);
});

test('a file after an empty global PAX header is listed and read again from its own header', async () => {
  const global = rawHeader({ name: 'pax_global_header', typeflag: 'g' });
  const layer = await fileLayer(Buffer.concat([global, makeTar([{ path: 'f', content: 'x' }])]));
  const image: Image = {
    id: 'image',
    names: [],
    config: { os: 'linux', architecture: 'amd64', config: {}, rootfs: { type: 'layers', diff_ids: [] } },
    layers: [layer],
  };
  const summary = await summarizeTar(await collect(rootfsTarChunks(image)));
  assert.equal(summary.get('f')?.size, 1);
});

test('a listed file whose header changed in place before it is kept fails, and never takes the name ..', async () => {
  const lower = await fileLayer([
    { path: 'a/', type: 'directory' },
    { path: 'a/f', content: 'one' },
  ]);
  const upper = await fileLayer([{ path: 'a/f', content: 'two' }]);
  const files = await Promise.all([lower.openFile!(), upper.openFile!()]);
  const listFrom = (index: number) => {
    // Asked for when the upper layer touches a/f: the lower layer's header of a/f (at 512) now names `..`.
    if (index === 0) {
      const fd = openSync(lower.path, 'r+');
      writeSync(fd, rawHeader({ name: '..', size: 3 }), 0, 512, 512);
      closeSync(fd);
    }
    return files[index];
  };
  try {
    await assert.rejects(replayLayers([lower, upper], undefined, { listFrom }), /changed between two reads/);
  } finally {
    await Promise.all(files.map((file) => file.close()));
  }
});
