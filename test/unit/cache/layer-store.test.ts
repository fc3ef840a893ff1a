/**
 * The layer store against the flattener: for every flattening rule, and for images overlayfs
 * cannot stack, what a run's overlay of the stored diffs shows equals `undocker rootfs -C` of the
 * image, entry by entry (type, mode, owner, size, content, link, hardlink group, xattrs, mtime).
 * Needs root and overlayfs, as runs do.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  cacheImage,
  type CachedImage,
  imageDir,
  listCachedImages,
  pruneCache,
  removeCachedImage,
} from '../../../src/cache/image-cache.js';
import { openImageView } from '../../../src/cache/image-view.js';
import { layerDir, layersDir, listLayers } from '../../../src/cache/layer-store.js';
import { unpackRootfs } from '../../../src/flatten/rootfs.js';
import { overlayExecProgram } from '../../../src/host/c-helpers.js';
import { holdOverlay } from '../../../src/host/mount-holder.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import type { Image } from '../../../src/image/types.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import { RULE_CASES } from '../../helpers/rule-cases.js';
import { diffSummaries, summarizeDirectory } from '../../helpers/summary.js';
import type { EntrySpec } from '../../helpers/tar-builder.js';

async function withImage<T>(layers: EntrySpec[][], tag: string, fn: (image: Image) => Promise<T>): Promise<T> {
  const archive = await openLocalArchive(writeDockerSave([{ layers, tags: [tag] }]));
  try {
    return await fn(selectImage(archive));
  } finally {
    await archive.close();
  }
}

/** rootOf is what a summary leaves out: the root folder's own metadata, extended attributes included. */
function rootOf(dir: string): string {
  const info = lstatSync(dir);
  const xattrs = execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', '--absolute-names', dir], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('=0x'))
    .join(' ');
  return `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid} ${Math.floor(info.mtimeMs / 1000)} ${xattrs}`;
}

/** stackedEqualsFlattened caches the image in `root` and checks its view against a flatten; it returns the record. */
async function stackedEqualsFlattened(root: string, image: Image, label: string): Promise<CachedImage> {
  const flat = join(tempDir(), 'rootfs');
  await unpackRootfs(image, flat);
  const { record } = await cacheImage(root, image);
  const view = await openImageView(root, record, label);
  try {
    const options = { xattrs: true, mtime: true };
    const problems = diffSummaries(summarizeDirectory(flat, options), summarizeDirectory(view.dir, options));
    assert.deepEqual(problems, [], `${label}: the stacked view differs from the flattened rootfs`);
    assert.equal(rootOf(view.dir), rootOf(flat), `${label}: the root folder`);
  } finally {
    await view.close();
    rmSync(flat, { recursive: true, force: true });
  }
  return record;
}

for (const c of RULE_CASES) {
  test(`layer store: ${c.name}: the stacked view equals the flattened rootfs`, async () => {
    await withImage(c.layers, 'rule:1', async (image) => {
      const record = await stackedEqualsFlattened(tempDir(), image, c.name);
      assert.deepEqual(record.layers?.length, c.layers.length, `stacked, not flattened: ${record.flattened ?? ''}`);
    });
  });
}

test('layer store: the root folder keeps what a lower layer gave it, extended attributes too', async () => {
  const layers: EntrySpec[][] = [
    [{ path: './', mode: 0o750, uid: 7, mtime: 1_600_000_000, xattrs: { 'user.origin': 'base' } }, { path: 'a' }],
    [{ path: 'b', content: 'b' }],
    [{ path: 'c/', mode: 0o700 }],
  ];
  await withImage(layers, 'root:1', async (image) => {
    const record = await stackedEqualsFlattened(tempDir(), image, 'root attributes');
    assert.equal(record.layers?.length, 3);
  });
});

const BASE: EntrySpec[][] = [
  [
    { path: 'etc/', mtime: 1_600_000_000 },
    { path: 'etc/os-release', content: 'base\n' },
    { path: 'usr/', mode: 0o755 },
    { path: 'usr/lib/' },
    { path: 'usr/lib/big', content: Buffer.alloc(1 << 20, 1) },
    { path: 'lib', linkname: 'usr/lib' },
  ],
  [{ path: 'usr/lib/.wh.big' }, { path: 'usr/lib/small', content: 'small' }],
];

test('images that share their lower layers keep them once; a new top layer is all a new image unpacks', async () => {
  const root = tempDir();
  const first = await withImage([...BASE, [{ path: 'app', content: 'one' }]], 'app:1', (image) =>
    cacheImage(root, image),
  );
  assert.equal(first.fresh, true);
  const base = layerDir(root, first.record.layers?.[1] as string);
  const inode = statSync(base).ino;
  const second = await withImage(
    [...BASE, [{ path: 'lib/added', content: 'through the symlink' }, { path: '.wh.etc' }]],
    'app:2',
    async (image) => {
      const cached = await cacheImage(root, image);
      await stackedEqualsFlattened(root, image, 'app:2');
      return cached;
    },
  );
  assert.deepEqual(second.record.layers?.slice(0, 2), first.record.layers?.slice(0, 2), 'the same lower chain');
  assert.equal(statSync(base).ino, inode, 'the shared diffs were not made again');
  assert.equal(listLayers(root).length, 4, 'two shared layers and one top layer each');
  assert.deepEqual(
    readdirSync(layersDir(root)).filter((name) => name.startsWith('.')),
    [],
    'no unpack folder left behind',
  );
  // The symlink resolved in the layer below: the new file is in usr/lib of the top diff.
  const top = join(layerDir(root, second.record.layers?.[2] as string), 'diff');
  assert.equal(statSync(join(top, 'usr/lib/added')).size, 'through the symlink'.length);
  // A deletion in a diff is a whiteout: a 0:0 character device.
  const whiteout = lstatSync(join(top, 'etc'));
  assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'etc is a whiteout in the top diff');

  // Removing one image frees only what no other image uses.
  removeCachedImage(root, listCachedImages(root).find((r) => r.names.includes('app:1')) as CachedImage);
  assert.equal(listLayers(root).length, 3);
  assert.equal(statSync(base).ino, inode, 'the base stays for app:2');
  assert.deepEqual(
    pruneCache(root).sort(),
    [
      'app:2',
      `layer ${(second.record.layers?.[0] ?? '').slice(7, 19)}`,
      `layer ${(second.record.layers?.[1] ?? '').slice(7, 19)}`,
      `layer ${(second.record.layers?.[2] ?? '').slice(7, 19)}`,
    ].sort(),
  );
  assert.deepEqual(readdirSync(layersDir(root)), []);
});

const UNSTACKABLE: Array<{ name: string; layers: EntrySpec[][]; reason: RegExp }> = [
  {
    name: 'a hardlink to a lower file that has other names there',
    layers: [
      [
        { path: 'a', content: 'shared' },
        { path: 'b', type: 'hardlink', linkname: 'a' },
      ],
      [{ path: 'c', type: 'hardlink', linkname: 'a', mode: 0o600 }],
    ],
    reason: /^layer 2 \([0-9a-f]{12}\) of [^:]+: c is a hardlink to a, which has 2 names in the layers below$/,
  },
  {
    name: 'a 0:0 character device, which a diff would read as a whiteout',
    layers: [[{ path: 'dev/' }], [{ path: 'dev/zero-zero', type: 'char', devmajor: 0, devminor: 0 }]],
    reason: /^layer 2 \([0-9a-f]{12}\) of [^:]+: dev\/zero-zero is a 0:0 character device/,
  },
  {
    name: 'an xattr in overlayfs own namespace',
    layers: [[{ path: 'd/', xattrs: { 'trusted.overlay.opaque': 'y' } }]],
    reason: /^layer 1 \([0-9a-f]{12}\) of [^:]+: d has the xattr trusted\.overlay\.opaque/,
  },
  {
    name: 'more layers than one mount stacks',
    layers: Array.from({ length: 60 }, (_, i) => [{ path: `f${i}`, content: `${i}` }]),
    reason: /^60 layers are more than one overlay mount stacks$/,
  },
];

for (const c of UNSTACKABLE) {
  test(`an image overlayfs cannot stack is flattened instead, and says why: ${c.name}`, async () => {
    await withImage(c.layers, 'flat:1', async (image) => {
      const root = tempDir();
      const record = await stackedEqualsFlattened(root, image, c.name);
      assert.equal(record.layers, undefined);
      assert.match(record.flattened ?? '', c.reason);
      assert.deepEqual(
        listCachedImages(root).map((r) => r.flattened),
        [record.flattened],
      );
      assert.deepEqual(readdirSync(join(root, 'images', record.id.slice(7))).sort(), ['image.json', 'rootfs']);
      pruneCache(root);
      const left = existsSync(layersDir(root)) ? readdirSync(layersDir(root)) : [];
      assert.deepEqual(left, [], 'the layers unpacked before the limit are not kept');
    });
  });
}

test('two first runs unpacking the same layers at once both end with one complete store', async () => {
  const root = tempDir();
  await withImage([...BASE, [{ path: 'twin', content: 'x' }]], 'twin:1', async (image) => {
    const [a, b] = await Promise.all([cacheImage(root, image), cacheImage(root, image)]);
    assert.deepEqual(a.record.layers, b.record.layers);
    assert.equal(listLayers(root).length, 3);
    assert.deepEqual(
      readdirSync(layersDir(root)).filter((name) => name.startsWith('.')),
      [],
    );
    await stackedEqualsFlattened(root, image, 'twin:1');
  });
});

test('an interrupted unpack leaves no layer, and the next run unpacks it whole', async () => {
  const root = tempDir();
  await withImage(BASE, 'cut:1', async (image) => {
    await assert.rejects(cacheImage(root, image, { signal: AbortSignal.abort() }));
    assert.deepEqual(listLayers(root), []);
    assert.deepEqual(listCachedImages(root), []);
    assert.deepEqual(
      readdirSync(layersDir(root)).filter((name) => name.startsWith('.')),
      [],
    );
    const again = await cacheImage(root, image);
    assert.equal(again.fresh, true);
    await stackedEqualsFlattened(root, image, 'cut:1');
  });
});

test('a view of stacked diffs is mounted where only this process reaches it, and gone once closed', async () => {
  const root = tempDir();
  await withImage(BASE, 'view:1', async (image) => {
    const { record } = await cacheImage(root, image);
    const view = await openImageView(root, record, 'view:1');
    const mountpoint = join(imageDir(root, record.id), 'view');
    assert.match(view.dir, /^\/proc\/\d+\/root\//);
    assert.equal(readFileSync(join(view.dir, 'usr/lib/small'), 'utf8'), 'small');
    assert.equal(existsSync(join(view.dir, 'usr/lib/big')), false, 'the whiteout hides the lower file');
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(` ${mountpoint} `));
    assert.deepEqual(readdirSync(mountpoint), [], "nothing shows in this process's own namespace");
    await view.close();
    assert.equal(existsSync(view.dir), false, 'the namespace holding the mount is gone');
  });
});

for (const [how, helper] of [
  ['overlay-exec', overlayExecProgram()],
  ['unshare, sh and mount (no C compiler at build)', undefined],
] as const) {
  test(`an overlay that cannot be mounted is one line naming what it was for (${how})`, async () => {
    if (how === 'overlay-exec') assert.ok(helper, 'the build compiled overlay-exec');
    const dir = tempDir();
    mkdirSync(join(dir, 'mnt'));
    const held = holdOverlay(dir, 'lowerdir=missing-a:missing-b', join(dir, 'mnt'), 'layer 2 of x.tar', helper);
    await assert.rejects(held, {
      code: 'UNDOCKER_FS_REFUSED',
      message: /^cannot mount the overlay of layer 2 of x\.tar: mount: [^\n]+$/,
    });
  });

  test(`a held overlay shows its layers through /proc/PID/root, and goes with its holder (${how})`, async () => {
    const dir = tempDir();
    for (const part of ['a', 'b', 'mnt']) mkdirSync(join(dir, part));
    writeFileSync(join(dir, 'a/file'), 'a');
    writeFileSync(join(dir, 'b/file'), 'b');
    const held = await holdOverlay(dir, 'lowerdir=b:a', join(dir, 'mnt'), 'a test', helper);
    assert.equal(readFileSync(join(held.path, 'file'), 'utf8'), 'b');
    assert.deepEqual(readdirSync(join(dir, 'mnt')), [], "nothing shows in this process's own namespace");
    await held.release();
    assert.equal(existsSync(held.path), false, 'the namespace holding the mount is gone');
  });
}

test('a symlink in a lower diff never leads a layer applied over it outside the store', async () => {
  const outside = tempDir();
  const root = tempDir();
  const layers: EntrySpec[][] = [
    [
      { path: 'abs', linkname: outside },
      { path: 'rel', linkname: '../../../../../../..' + outside },
      { path: 'etc', linkname: '/' },
    ],
    [
      { path: 'abs/pwned', content: 'x' },
      { path: 'rel/pwned', content: 'y' },
      { path: 'etc/passwd', content: 'root:x:0:0::/:/bin/sh\n' },
      { path: 'abs/sub/' },
      { path: 'rel/.wh.gone' },
    ],
  ];
  await withImage(layers, 'hostile:1', async (image) => {
    const record = await stackedEqualsFlattened(root, image, 'hostile');
    assert.equal(record.layers?.length, 2);
  });
  assert.deepEqual(readdirSync(outside), [], 'nothing was written outside');
});
