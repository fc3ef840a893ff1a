/**
 * A layer whose blob digest and diff_id are the same value (Docker 25+ saves, uncompressed OCI
 * layers) is hashed once; these cases make sure that shortcut never lets bytes through that
 * either digest would refuse, read as a stream or from a file, and compressed or not.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { layerEntries } from '../../../src/flatten/layer-entries.js';
import type { Layer } from '../../../src/image/types.js';
import { tempDir } from '../../helpers/archives.js';
import { makeTar } from '../../helpers/tar-builder.js';

const TAR = makeTar([
  { path: 'etc/', mode: 0o755 },
  { path: 'etc/hostname', content: 'shared digest\n'.repeat(100) },
]);

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** layerOf serves `stored` as a layer, from a file when `file` (the directory output's path), else as a stream. */
function layerOf(stored: Buffer, digests: { digest: string; diffId: string }, file: boolean): Layer {
  const path = join(tempDir(), 'layer');
  writeFileSync(path, stored);
  return {
    id: digests.digest,
    ...digests,
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    size: stored.length,
    where: 'layer 1 (test)',
    open: () => Readable.from([stored]),
    ...(file
      ? {
          openFile: async () => {
            const handle = await open(path, 'r');
            return { handle, start: 0, size: stored.length, close: () => handle.close() };
          },
        }
      : {}),
  };
}

async function readAll(layer: Layer, lentChunks: boolean): Promise<string[]> {
  const paths: string[] = [];
  for await (const item of layerEntries(layer, undefined, { lentChunks })) {
    paths.push(item.entry.path);
    for await (const chunk of item.body) void chunk;
  }
  return paths;
}

for (const lentChunks of [false, true]) {
  const how = lentChunks ? 'read from its file' : 'read as a stream';

  test(`an uncompressed layer whose digest and diff_id agree is accepted, ${how}`, async () => {
    const layer = layerOf(TAR, { digest: sha256(TAR), diffId: sha256(TAR) }, lentChunks);
    assert.deepEqual(await readAll(layer, lentChunks), ['etc/', 'etc/hostname']);
  });

  test(`an uncompressed layer changed after its digests were taken is refused, ${how}`, async () => {
    const tampered = Buffer.from(TAR);
    tampered[600] = (tampered[600] as number) ^ 1; // a data byte: the tar still parses
    const layer = layerOf(tampered, { digest: sha256(TAR), diffId: sha256(TAR) }, lentChunks);
    await assert.rejects(readAll(layer, lentChunks), {
      code: 'UNDOCKER_DIGEST_MISMATCH',
      message: /layer 1 \(test\): stored content: digest mismatch/,
    });
  });

  test(`a gzip layer whose digests agree is accepted, ${how}`, async () => {
    const gz = gzipSync(TAR);
    const layer = layerOf(gz, { digest: sha256(gz), diffId: sha256(TAR) }, lentChunks);
    assert.deepEqual(await readAll(layer, lentChunks), ['etc/', 'etc/hostname']);
  });

  test(`a gzip layer changed after its digests were taken is refused, ${how}`, async () => {
    const gz = gzipSync(TAR);
    const tampered = Buffer.from(gz);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1; // the length in the trailer
    const layer = layerOf(tampered, { digest: sha256(gz), diffId: sha256(TAR) }, lentChunks);
    await assert.rejects(readAll(layer, lentChunks), {
      code: 'UNDOCKER_DIGEST_MISMATCH',
      message: /layer 1 \(test\): stored content: digest mismatch/,
    });
  });

  test(`a gzip layer whose diff_id claims the compressed bytes' digest is refused, ${how}`, async () => {
    // The blob digest is right; the config's diff_id names the gzip bytes, not the tar in them.
    const gz = gzipSync(TAR);
    const layer = layerOf(gz, { digest: sha256(gz), diffId: sha256(gz) }, lentChunks);
    await assert.rejects(readAll(layer, lentChunks), {
      code: 'UNDOCKER_DIGEST_MISMATCH',
      message: /layer 1 \(test\): uncompressed content: digest mismatch/,
    });
  });
}
