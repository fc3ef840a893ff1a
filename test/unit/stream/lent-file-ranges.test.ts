import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { TruncatedError } from '../../../src/stream/byte-reader.js';
import { LentFileRanges } from '../../../src/stream/lent-file-ranges.js';
import { tempDir } from '../../helpers/archives.js';

const MiB = 1024 * 1024;

test('ranges read in turn, close together, far apart and across windows, give the bytes of the file', async () => {
  const data = randomBytes(5 * MiB);
  const path = join(tempDir(), 'data');
  writeFileSync(path, data);
  const handle = await open(path, 'r');
  try {
    // The reader sees the file from byte 1000, as a layer inside an archive.
    const ranges = new LentFileRanges(handle.fd, 1000, data.length - 1000);
    const wanted: Array<[number, number]> = [
      [0, 10],
      [512, 3000],
      [4096, 0],
      [MiB - 100, 200], // across the end of a window
      [3 * MiB, 1.5 * MiB], // longer than a window
      [data.length - 1000 - 7, 7],
    ];
    for (const [offset, length] of wanted) {
      const pieces: Buffer[] = [];
      for (const piece of ranges.pieces(offset, length)) pieces.push(Buffer.from(piece)); // lent: copied at once
      assert.ok(pieces.every((piece) => piece.length <= MiB));
      assert.ok(Buffer.concat(pieces).equals(data.subarray(1000 + offset, 1000 + offset + length)));
    }
  } finally {
    await handle.close();
  }
});

test('a range beyond the file, or beyond what the file still holds, is a truncation', async () => {
  const path = join(tempDir(), 'data');
  writeFileSync(path, randomBytes(4096));
  const handle = await open(path, 'r');
  try {
    assert.throws(() => [...new LentFileRanges(handle.fd, 0, 4096).pieces(4000, 100)], TruncatedError);
    // The range says 8192 bytes, the file holds 4096: bytes that are there are read, the rest fail.
    const ranges = new LentFileRanges(handle.fd, 0, 8192);
    assert.equal(Buffer.concat([...ranges.pieces(0, 4096)]).length, 4096);
    assert.throws(() => [...ranges.pieces(5000, 10)], TruncatedError);
  } finally {
    await handle.close();
  }
});
