/**
 * The tar output reads a plain layer in a file twice: headers to plan, then data. A layer that
 * reads differently the second time must fail rather than lose or mislabel a file. Any other
 * layer (a stream, a compressed one) is read once, kept in a spool, and the spool supplies the data.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { streamRootfsTar } from '../../../src/flatten/rootfs.js';
import { rootfsTarChunks } from '../../../src/flatten/rootfs-tar.js';
import { openLocalArchive } from '../../../src/image/open-archive.js';
import { selectImage } from '../../../src/image/select.js';
import { OFFLOAD_BYTES } from '../../../src/stream/hash-thread.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import type { Image, Layer } from '../../../src/image/types.js';
import { collect } from '../../helpers/flatten.js';
import { makeTar } from '../../helpers/tar-builder.js';

/**
 * imageOfReads is a one-layer image whose layer gives `reads[0]` when first opened, then
 * `reads[1]`: as a stream, or, `inFiles`, as a plain tar in a file (read positionally).
 */
function imageOfReads(reads: [Buffer, Buffer], inFiles = false): Image & { opened: () => number } {
  let opened = 0;
  const dir = tempDir();
  const files = reads.map((bytes, i) => {
    const path = join(dir, `read${i}.tar`);
    writeFileSync(path, bytes);
    return path;
  });
  const layer: Layer = {
    id: 'layer',
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
    size: reads[0].length,
    where: 'layer 1 (test)',
    open: () => Readable.from([reads[Math.min(opened++, 1)] as Buffer]),
    ...(inFiles
      ? {
          openFile: async () => {
            const handle = await open(files[Math.min(opened++, 1)]!, 'r');
            return { handle, start: 0, size: (await handle.stat()).size, close: () => handle.close() };
          },
        }
      : {}),
  };
  return {
    opened: () => opened,
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

test('a plain layer in a file read the same way twice gives both files', async () => {
  const image = imageOfReads([FIRST, FIRST], true);
  const tar = await collect(rootfsTarChunks(image));
  assert.match(tar.toString('latin1'), /alpha[^]*beta/);
  // The file is opened to look at its first bytes, then by each pass.
  assert.ok(image.opened() >= 2, `opened ${image.opened()} times`);
});

test('a layer given as a stream is read once: its spool supplies the data, whatever a new read says', async () => {
  const other = makeTar([{ path: 'a', content: 'other' }]);
  const image = imageOfReads([FIRST, other]);
  const tar = await collect(rootfsTarChunks(image));
  assert.match(tar.toString('latin1'), /alpha[^]*beta/);
  assert.equal(image.opened(), 1);
});

test('a plain layer in a file that loses a planned file on its second read fails and names the entry', async () => {
  const shorter = makeTar([{ path: 'a', content: 'alpha' }]);
  await assert.rejects(collect(rootfsTarChunks(imageOfReads([FIRST, shorter], true))), {
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: 'layer 1 (test): entry 1 changed between two reads of the layer',
  });
});

test('a plain layer in a file whose planned file changes size when read again fails and names the entry', async () => {
  const longer = makeTar([
    { path: 'a', content: 'alpha' },
    { path: 'b', content: 'beta, longer' },
  ]);
  await assert.rejects(collect(rootfsTarChunks(imageOfReads([FIRST, longer], true))), {
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: 'layer 1 (test): entry 1 changed between two reads of the layer',
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

test('a large plain layer flattens to the bytes it holds, its digest checked on the hashing thread', async () => {
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
