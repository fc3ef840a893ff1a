import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { TruncatedError } from '../../../src/stream/byte-reader.js';
import { FileBytes } from '../../../src/stream/file-bytes.js';
import { tempDir } from '../../helpers/archives.js';

const KiB = 1024;
// Random bytes after a 100-byte prefix the range leaves out: no two windows alike.
const data = randomBytes(100 + 900 * KiB);
const file = join(tempDir(), 'bytes');
writeFileSync(file, data);
const range = data.subarray(100);

test('FileBytes: what read returns stays as it was after the window is read again elsewhere', async () => {
  const handle = await open(file, 'r');
  try {
    const bytes = new FileBytes(handle, 100, data.length);
    const first = await bytes.read(512);
    await bytes.skip(600 * KiB); // past the window: the next read fills it again, in the same memory
    const later = await bytes.read(2048);
    const big = await bytes.read(300 * KiB - 2560); // larger than the window, to the end
    assert.deepEqual(first, range.subarray(0, 512));
    assert.deepEqual(later, range.subarray(512 + 600 * KiB, 512 + 600 * KiB + 2048));
    assert.deepEqual(big, range.subarray(2560 + 600 * KiB, 2560 + 900 * KiB));
    assert.equal(await bytes.read(1), undefined);
  } finally {
    await handle.close();
  }
});

test('FileBytes: take hands out the bytes in order, each chunk valid until the next', async () => {
  const handle = await open(file, 'r');
  try {
    const bytes = new FileBytes(handle, 100, data.length);
    const chunks: Buffer[] = [];
    for await (const chunk of bytes.take(700 * KiB)) chunks.push(Buffer.from(chunk));
    assert.deepEqual(Buffer.concat(chunks), range.subarray(0, 700 * KiB));
    await assert.rejects(bytes.read(300 * KiB), TruncatedError);
  } finally {
    await handle.close();
  }
});
