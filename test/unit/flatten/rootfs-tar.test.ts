/**
 * The tar output reads a plain layer in a file twice, through one open file: headers to plan,
 * then data. A layer that reads differently the second time must fail rather than lose or
 * mislabel a file. Any other layer (a stream, a compressed one) is read once, kept in a spool,
 * and the spool supplies the data.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  openSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { streamRootfsTar } from '../../../src/flatten/rootfs.js';
import { replayLayers } from '../../../src/flatten/replay-layers.js';
import { rootfsTarChunks } from '../../../src/flatten/rootfs-tar.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import { OFFLOAD_BYTES } from '../../../src/stream/hash-thread.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import type { Image, Layer } from '../../../src/image/types.js';
import { collect } from '../../helpers/flatten.js';
import { makeTar } from '../../helpers/tar-builder.js';

/** oneLayerImage is an image of `layer` alone, with `opened` telling how often it was opened. */
function oneLayerImage(layer: Layer, opened: () => number): Image & { opened: () => number } {
  return {
    opened,
    id: 'image',
    names: [],
    config: { os: 'linux', architecture: 'amd64', config: {}, rootfs: { type: 'layers', diff_ids: [] } },
    layers: [layer],
  };
}

/** imageOfReads is a one-layer image whose layer streams `reads[0]` when first opened, then `reads[1]`. */
function imageOfReads(reads: [Buffer, Buffer]): Image & { opened: () => number } {
  let opened = 0;
  const layer: Layer = {
    id: 'layer',
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
    size: reads[0].length,
    where: 'layer 1 (test)',
    open: () => Readable.from([reads[Math.min(opened++, 1)] as Buffer]),
  };
  return oneLayerImage(layer, () => opened);
}

const FIRST = makeTar([
  { path: 'a', content: 'alpha' },
  { path: 'b', content: 'beta' },
]);

/**
 * IN_DIR holds the same files in a directory, which is the first piece out: written once the
 * first pass is done, before the data pass reads anything. Its data starts at 1024 (a), 2048 (b).
 */
const IN_DIR = makeTar([
  { path: 'd/', type: 'directory' },
  { path: 'd/a', content: 'alpha' },
  { path: 'd/b', content: 'beta' },
]);

/** plainImage is a one-layer image whose plain layer is the file at `path`; `opened` counts its opens. */
function plainImage(path: string): Image & { opened: () => number } {
  let opened = 0;
  const size = statSync(path).size;
  const layer: Layer = {
    id: 'layer',
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
    size,
    where: 'layer 1 (test)',
    open: () => createReadStream(path),
    openFile: async () => {
      opened++;
      const handle = await open(path, 'r');
      return { handle, start: 0, size, close: () => handle.close() };
    },
  };
  return oneLayerImage(layer, () => opened);
}

/**
 * afterPlan flattens `image` to a tar, calling `between` once the first pass is done (the first
 * piece is out) and before the data pass reads anything.
 */
async function afterPlan(image: Image, between: () => void): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of rootfsTarChunks(image)) {
    if (pieces.length === 0) between();
    pieces.push(piece);
  }
  return Buffer.concat(pieces);
}

function layerFile(tar: Buffer): string {
  const path = join(tempDir(), 'layer.tar');
  writeFileSync(path, tar);
  return path;
}

test('a plain layer in a file is opened once: both passes read that open file', async () => {
  const image = plainImage(layerFile(FIRST));
  const tar = await collect(rootfsTarChunks(image));
  assert.match(tar.toString('latin1'), /alpha[^]*beta/);
  assert.equal(image.opened(), 1);
});

test('a layer given as a stream is read once: its spool supplies the data, whatever a new read says', async () => {
  const other = makeTar([{ path: 'a', content: 'other' }]);
  const image = imageOfReads([FIRST, other]);
  const tar = await collect(rootfsTarChunks(image));
  assert.match(tar.toString('latin1'), /alpha[^]*beta/);
  assert.equal(image.opened(), 1);
});

test('a plain layer cut short between the passes fails and names the entry it lost', async () => {
  const path = layerFile(IN_DIR);
  // Up to b's header: b's data, at byte 2048, is gone. The top layer's files are read again from their headers
  // (streamed-files.ts): b's starts at 1536.
  await assert.rejects(
    afterPlan(plainImage(path), () => truncateSync(path, 2048)),
    {
      code: 'UNDOCKER_BAD_ARCHIVE',
      message: 'layer 1 (test): the entry whose header starts at byte 1536 changed between two reads of the layer',
    },
  );
});

test('a plain layer changed in place between the passes fails, though the tar still reads', async () => {
  const path = layerFile(IN_DIR);
  const overwrite = (): void => {
    const fd = openSync(path, 'r+');
    writeSync(fd, 'BETA', 2048); // b's data, the same size: only the file's status tells
    closeSync(fd);
  };
  await assert.rejects(afterPlan(plainImage(path), overwrite), {
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: 'layer 1 (test): the file changed while it was read',
  });
});

test('a file renamed over a plain layer between the passes is never read, and the lost name is reported', async () => {
  const path = layerFile(IN_DIR);
  const other = layerFile(
    makeTar([
      { path: 'd/', type: 'directory' },
      { path: 'd/a', content: 'ALPHA' },
      { path: 'd/b', content: 'BETA' },
    ]),
  );
  const pieces: Buffer[] = [];
  const flattened = (async () => {
    for await (const piece of rootfsTarChunks(plainImage(path))) {
      if (pieces.length === 0) renameSync(other, path);
      pieces.push(piece);
    }
  })();
  // The held file lost its name, which changes its status: the check after its data says so.
  await assert.rejects(flattened, {
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: 'layer 1 (test): the file changed while it was read',
  });
  const written = Buffer.concat(pieces).toString('latin1');
  assert.match(written, /alpha[^]*beta/, 'the data pass read the file it planned from');
  assert.doesNotMatch(written, /ALPHA|BETA/);
});

test('a small plain layer with a data byte changed fails with a digest mismatch, checked here', async () => {
  const tampered = Buffer.from(FIRST);
  tampered[512] = (tampered[512] as number) ^ 1; // a's data: the tar still reads
  const image = plainImage(layerFile(tampered));
  const digest = `sha256:${createHash('sha256').update(FIRST).digest('hex')}`;
  Object.assign(image.layers[0]!, { digest, diffId: digest });
  await assert.rejects(collect(rootfsTarChunks(image)), {
    code: 'UNDOCKER_DIGEST_MISMATCH',
    message: /^layer 1 \(test\): stored content: digest mismatch/,
  });
});

/** bigImage is a docker save whose one layer is over the size that hashes on the worker thread. */
function bigImage(data: Buffer, corrupt?: (layer: Buffer) => void): string {
  return writeDockerSave(
    [
      {
        layers: [
          [
            { path: 'small', content: 'x' },
            { path: 'big', content: data },
          ],
        ],
      },
    ],
    {
      corrupt: (files) => {
        for (const [name, content] of Object.entries(files))
          if (name.endsWith('/layer.tar') && Buffer.isBuffer(content)) corrupt?.(content);
      },
    },
  );
}

test('a large plain layer flattens to the bytes it holds, its digest checked on a hashing thread', async () => {
  const data = randomBytes(OFFLOAD_BYTES + 300 * 1024);
  const archive = await openLocalArchive(bigImage(data));
  try {
    const output = new PassThrough();
    const [tar] = await Promise.all([collect(output), streamRootfsTar(selectImage(archive), output, 'none')]);
    const at = tar.indexOf(data.subarray(0, 64));
    assert.ok(at > 0 && tar.subarray(at, at + data.length).equals(data), 'the file data, whole');
  } finally {
    await archive.close();
  }
});

for (const compression of ['none', 'gzip'] as const)
  test(`a large plain layer with one byte changed fails with a digest mismatch (${compression} output)`, async () => {
    const data = randomBytes(OFFLOAD_BYTES + 300 * 1024);
    // The byte changed is file data, deep in the layer: only the digest can tell.
    const archive = await openLocalArchive(
      bigImage(data, (layer) => layer.writeUInt8(layer.readUInt8(layer.length - 4096) ^ 1, layer.length - 4096)),
    );
    try {
      const output = new PassThrough();
      output.resume();
      await assert.rejects(streamRootfsTar(selectImage(archive), output, compression), {
        code: 'UNDOCKER_DIGEST_MISMATCH',
        message: /^layer .*: (uncompressed|stored) content: digest mismatch/,
      });
    } finally {
      await archive.close();
    }
  });

test('the first pass gives the event loop turns: an abort from a timer stops it before it ends', async () => {
  // 60,000 files, read synchronously from a plain layer: long enough for several turns.
  const files = Array.from({ length: 60_000 }, (_, i) => ({ path: `d${i % 100}/f${i}`, content: '' }));
  const image = plainImage(layerFile(makeTar(files)));
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stopped by the timer')), 1);
  await assert.rejects(replayLayers(image.layers, controller.signal), /stopped by the timer/);
});
