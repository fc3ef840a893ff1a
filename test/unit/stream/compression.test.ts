import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decoderFor, detectCompression, GUNZIP_CHUNK } from '../../../src/stream/compression.js';

/** decodeAll gunzips `data` through decoderFor and returns the chunk sizes it gave and the bytes. */
async function decodeAll(data: Buffer, chunkBytes?: number): Promise<{ sizes: number[]; bytes: Buffer }> {
  const decoder = decoderFor(detectCompression(data), 'test.gz', chunkBytes)!;
  const sizes: number[] = [];
  const parts: Buffer[] = [];
  for await (const chunk of Readable.from([data]).pipe(decoder) as AsyncIterable<Buffer>) {
    sizes.push(chunk.length);
    parts.push(chunk);
  }
  return { sizes, bytes: Buffer.concat(parts) };
}

test('gzip decodes into buffers of GUNZIP_CHUNK, or of the size a reader asks for', async () => {
  // Random bytes: the decoded megabyte fills every buffer zlib hands out.
  const plain = randomBytes(1024 * 1024);
  const gzipped = gzipSync(plain);

  const byDefault = await decodeAll(gzipped);
  assert.deepEqual(byDefault.bytes, plain);
  assert.equal(Math.max(...byDefault.sizes), GUNZIP_CHUNK);

  const asked = await decodeAll(gzipped, 2 * GUNZIP_CHUNK);
  assert.deepEqual(asked.bytes, plain);
  assert.equal(Math.max(...asked.sizes), 2 * GUNZIP_CHUNK);
});

test('a broken gzip stream fails naming the input', async () => {
  const gzipped = gzipSync(randomBytes(4096));
  gzipped.writeUInt8(gzipped.readUInt8(gzipped.length - 6) ^ 0xff, gzipped.length - 6); // the CRC
  await assert.rejects(decodeAll(gzipped), /^.*test\.gz: cannot decompress gzip data/);
});
