import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { importRootfs, type ImportOptions } from '../../../src/import/import-rootfs.js';
import { streamRootfsTar } from '../../../src/flatten/rootfs.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import type { Image } from '../../../src/image/types.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import { diffSummaries, summarizeDirectory, summarizeTar } from '../../helpers/summary.js';
import { type EntrySpec, makeTar } from '../../helpers/tar-builder.js';

const ROOTFS: EntrySpec[] = [
  { path: './', mode: 0o755 },
  { path: 'bin/' },
  {
    path: 'bin/tool',
    content: 'binary',
    mode: 0o4755,
    xattrs: { 'security.capability': Buffer.from([1, 0, 0, 2, 0, 4, 0, 0]) },
  },
  { path: 'bin/tool-link', type: 'hardlink', linkname: 'bin/tool', mode: 0o4755 },
  { path: 'etc/' },
  { path: 'etc/owned', content: 'x', uid: 1234, gid: 5678, mode: 0o600 },
  { path: 'etc/sym', linkname: '../bin/tool' },
  { path: 'dev/' },
  { path: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
  { path: 'dev/fifo', type: 'fifo' },
  { path: 'deep/' },
  { path: `deep/${'d'.repeat(120)}/`, mode: 0o1777 },
  { path: `deep/${'d'.repeat(120)}/${'f'.repeat(150)}`, content: 'long', xattrs: { 'user.note': 'hello' } },
  { path: 'caf\xe9', rawPath: true, content: 'latin1 name' },
];

const OPTIONS: ImportOptions = {
  tags: ['imported:1'],
  format: 'docker',
  normalization: {},
  warn: () => undefined,
  changes: { env: [], expose: [], volumes: [], labels: [], created: '2024-01-01T00:00:00Z', cmd: '["/bin/tool"]' },
};

async function importTo(
  input: string,
  options: Partial<ImportOptions> = {},
): Promise<{ path: string; digest: string }> {
  const path = join(tempDir(), 'image.tar');
  const out = createWriteStream(path);
  const { configDigest } = await importRootfs(input, out, { ...OPTIONS, ...options });
  return { path, digest: configDigest };
}

async function withImported<T>(path: string, fn: (image: Image) => Promise<T>): Promise<T> {
  const archive = await openLocalArchive(path);
  try {
    return await fn(selectImage(archive));
  } finally {
    await archive.close();
  }
}

async function rootfsOf(image: Image): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await streamRootfsTar(image, sink, 'none');
  return Buffer.concat(chunks);
}

function writeInput(data: Buffer, name = 'rootfs.tar'): string {
  const path = join(tempDir(), name);
  writeFileSync(path, data);
  return path;
}

test('a rootfs tar goes through import and back out of undocker rootfs entry by entry', async () => {
  const input = writeInput(makeTar(ROOTFS));
  const { path } = await importTo(input);
  await withImported(path, async (image) => {
    assert.deepEqual(image.names, [{ repository: 'imported', tag: '1' }]);
    assert.deepEqual(image.config.config?.Cmd, ['/bin/tool']);
    assert.equal(image.layers.length, 1);
    assert.deepEqual(diffSummaries(await summarizeTar(input), await summarizeTar(await rootfsOf(image))), []);
  });
});

test('the same input and options give the same bytes; compression of the input does not matter', async () => {
  const tar = makeTar(ROOTFS);
  const first = await importTo(writeInput(tar));
  const second = await importTo(writeInput(tar));
  const gzipped = await importTo(writeInput(gzipSync(tar), 'rootfs.tar.gz'));
  assert.deepEqual(readFileSync(first.path), readFileSync(second.path));
  assert.equal(gzipped.digest, first.digest);
  const other = await importTo(writeInput(tar), { changes: { ...OPTIONS.changes, cmd: '["/other"]' } });
  assert.notEqual(other.digest, first.digest);
});

test('--owner and SOURCE_DATE_EPOCH normalise owners and clamp mtimes', async () => {
  const clamp = 1_600_000_000;
  const { path } = await importTo(
    writeInput(makeTar([...ROOTFS, { path: 'old', content: 'o', mtime: 1_000_000_000 }])),
    { normalization: { owner: { uid: 0, gid: 0 }, clampMtime: clamp } },
  );
  await withImported(path, async (image) => {
    const layer = await summarizeTar(await rootfsOf(image));
    assert.deepEqual([...new Set([...layer.values()].map((r) => `${r.uid}:${r.gid}`))], ['0:0']);
  });
  const mtimes = execFileSync(
    'sh',
    ['-c', `tar -xOf ${path} --wildcards '*/layer.tar' | tar -tv --full-time | awk '{print $4 "T" $5}' | sort -u`],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n');
  assert.deepEqual(mtimes, ['2001-09-09T01:46:40', '2020-09-13T12:26:40'], 'newer mtimes clamped, older ones kept');
});

test('on a base image, the base layers are kept byte for byte and the rootfs goes on top', async () => {
  const base = writeDockerSave([
    {
      layers: [[{ path: 'base/' }, { path: 'base/file', content: 'from base' }, { path: 'shared', content: 'base' }]],
      tags: ['base:1'],
      config: { Entrypoint: ['/base'], Env: ['A=1'] },
    },
  ]);
  const baseDiffIds = await withImported(base, async (image) => image.config.rootfs?.diff_ids ?? []);
  const archive = await openLocalArchive(base);
  try {
    const { path } = await importTo(
      writeInput(
        makeTar([
          { path: 'shared', content: 'top' },
          { path: 'new', content: 'new' },
        ]),
      ),
      {
        base: selectImage(archive),
        changes: { ...OPTIONS.changes, cmd: undefined, env: ['B=2'] },
      },
    );
    await withImported(path, async (image) => {
      assert.deepEqual(image.config.rootfs?.diff_ids?.slice(0, 1), baseDiffIds);
      assert.equal(image.layers.length, 2);
      assert.deepEqual(image.config.config?.Entrypoint, ['/base']);
      assert.deepEqual(image.config.config?.Env, ['A=1', 'B=2']);
      const files = await summarizeTar(await rootfsOf(image));
      assert.deepEqual([...files.keys()].sort(), ['base', 'base/file', 'new', 'shared']);
      assert.equal(files.get('shared')?.size, 3, 'the new layer wins');
    });
  } finally {
    await archive.close();
  }
});

test('--format oci writes an oci-archive that reads back to the same image', async () => {
  const input = writeInput(makeTar(ROOTFS));
  const docker = await importTo(input);
  const oci = await importTo(input, { format: 'oci' });
  assert.equal(oci.digest, docker.digest, 'the same config in both formats');
  await withImported(oci.path, async (image) => {
    assert.equal(image.id, docker.digest);
    assert.deepEqual(diffSummaries(await summarizeTar(input), await summarizeTar(await rootfsOf(image))), []);
  });
});

test('standard input is read as a rootfs tar', async () => {
  const path = join(tempDir(), 'image.tar');
  await importRootfs('-', createWriteStream(path), { ...OPTIONS, stdin: Readable.from([makeTar(ROOTFS)]) });
  await withImported(path, async (image) => assert.equal(image.layers.length, 1));
});

test('bad input fails with one line naming it: not a tar, an entry leaving the root, a missing path', async () => {
  await assert.rejects(importTo(writeInput(Buffer.alloc(4096, 'x'), 'junk.tar')), {
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: /junk\.tar/,
  });
  await assert.rejects(importTo(writeInput(makeTar([{ path: '../escape', content: 'x' }]), 'evil.tar')), {
    code: 'UNDOCKER_UNSAFE_PATH',
    message: /evil\.tar: entry \.\.\/escape points outside/,
  });
  await assert.rejects(importTo('/nonexistent/rootfs'), {
    code: 'UNDOCKER_NOT_FOUND',
    message: '/nonexistent/rootfs: no such file or directory',
  });
});

test(
  'a directory keeps owners, modes, symlinks, hardlinks, devices, fifos and xattrs',
  { skip: process.getuid?.() !== 0 ? 'needs root for owners and devices' : false },
  async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/tool'), 'binary', { mode: 0o755 });
    execFileSync('chmod', ['4755', join(dir, 'bin/tool')]);
    linkSync(join(dir, 'bin/tool'), join(dir, 'bin/tool-link'));
    symlinkSync('../bin/tool', join(dir, 'bin/sym'));
    mkdirSync(join(dir, 'dev'));
    execFileSync('mknod', [join(dir, 'dev/null'), 'c', '1', '3']);
    execFileSync('mknod', [join(dir, 'dev/loop9'), 'b', '7', '9']);
    execFileSync('mkfifo', [join(dir, 'dev/fifo')]);
    writeFileSync(join(dir, 'owned'), 'x');
    execFileSync('chown', ['1234:5678', join(dir, 'owned')]);
    execFileSync('setfattr', ['-n', 'user.note', '-v', 'hello', join(dir, 'owned')]);
    execFileSync('setfattr', [
      '-n',
      'security.capability',
      '-v',
      '0x0100000200040000000000000000000000000000',
      join(dir, 'bin/tool'),
    ]);
    writeFileSync(join(dir, 'with\nnewline'), 'odd name');
    const { path } = await importTo(dir);
    await withImported(path, async (image) => {
      const extracted = tempDir();
      execFileSync('sh', ['-c', 'cat > rootfs.tar'], { cwd: extracted, input: await rootfsOf(image) });
      assert.deepEqual(
        diffSummaries(summarizeDirectory(dir, { xattrs: true }), await summarizeTar(join(extracted, 'rootfs.tar'))),
        [],
      );
    });
  },
);
