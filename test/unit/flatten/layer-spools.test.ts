/**
 * A compressed layer is decoded once for the tar output: the plan pass keeps its tar in a spool,
 * checked against its digests, and the data pass reads the spool. So a digest mismatch is found
 * before the first byte is written, and a spool that cannot be written costs only speed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { streamRootfsTar } from '../../../src/flatten/rootfs.js';
import type { Image, Layer } from '../../../src/image/types.js';
import { tempDir } from '../../helpers/archives.js';
import { collect } from '../../helpers/flatten.js';
import { makeTar } from '../../helpers/tar-builder.js';

const DATA = randomBytes(200 * 1024);
const TAR = makeTar([
  { path: 'etc/', mode: 0o755 },
  { path: 'etc/data', content: DATA },
  { path: 'etc/hostname', content: 'spooled\n' },
]);

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * gzipImage is a one-layer image whose gzip layer is a file; `timesRead` tells how many times
 * over its stored bytes were read, streamed or from the file, counted in bytes.
 */
function gzipImage(tar: Buffer, diffId = sha256(tar)): { image: Image; timesRead: () => number } {
  const stored = gzipSync(tar);
  const path = join(tempDir(), 'layer.tar.gz');
  writeFileSync(path, stored);
  let bytesRead = 0;
  const layer: Layer = {
    id: sha256(stored),
    digest: sha256(stored),
    diffId,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    size: stored.length,
    where: 'layer 1 (test)',
    open: () => {
      bytesRead += stored.length;
      return Readable.from([stored]);
    },
    openFile: async () => {
      const handle = countingReads(await open(path, 'r'), (count) => (bytesRead += count));
      return { handle, start: 0, size: stored.length, close: () => handle.close() };
    },
  };
  const config = { os: 'linux', architecture: 'amd64', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } };
  return { image: { id: 'image', names: [], config, layers: [layer] }, timesRead: () => bytesRead / stored.length };
}

/** countingReads is `handle`, telling `counted` how many bytes each of its reads returned. */
function countingReads(handle: FileHandle, counted: (bytes: number) => void): FileHandle {
  return new Proxy(handle, {
    get(target, property) {
      if (property === 'read')
        return async (...args: Parameters<FileHandle['read']>) => {
          const result = await target.read(...args);
          counted(result.bytesRead);
          return result;
        };
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** flatten writes `image` as a tar into a stream, and counts the bytes that reach it. */
function flatten(image: Image): { tar: Promise<Buffer>; done: Promise<void>; written: () => number } {
  const output = new PassThrough();
  let written = 0;
  output.on('data', (chunk: Buffer) => (written += chunk.length));
  const tar = collect(output);
  tar.catch(() => undefined); // a failed flatten destroys the output
  return { tar, done: streamRootfsTar(image, output, 'none'), written: () => written };
}

test('a gzip layer flattens to its files, its stored bytes read by the plan pass alone', async () => {
  const { image, timesRead } = gzipImage(TAR);
  const { tar, done } = flatten(image);
  await done;
  const bytes = await tar;
  assert.ok(bytes.includes(DATA), 'the file data, whole');
  assert.match(bytes.toString('latin1'), /etc\/hostname[^]*spooled/);
  // A look at its first bytes and one read: the data pass reads the spool.
  assert.ok(timesRead() >= 1 && timesRead() < 1.1, `the layer was read ${timesRead()} times over`);
});

test('a gzip layer whose tar does not match its diff_id fails before a byte is written', async () => {
  const { image } = gzipImage(TAR, sha256(Buffer.from('something else')));
  const { done, written } = flatten(image);
  await assert.rejects(done, { code: 'UNDOCKER_DIGEST_MISMATCH', message: /^layer 1 \(test\): uncompressed content/ });
  assert.equal(written(), 0);
});

test('with no room for the spool, the layer is decoded again and the output is the same', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs');
  const small = join(tempDir(), 'tmp');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', small]);
  const { image, timesRead } = gzipImage(TAR);
  const saved = process.env.TMPDIR;
  try {
    process.env.TMPDIR = small;
    const { tar, done } = flatten(image);
    await done;
    assert.ok((await tar).includes(DATA), 'the file data, whole');
    assert.ok(timesRead() >= 2, `the data pass read the layer again (read ${timesRead()} times over)`);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    execFileSync('umount', [small]);
  }
});
