import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TruncatedError } from '../../../src/stream/byte-reader.js';
import { OffloadedHash } from '../../../src/stream/hash-thread.js';
import { type Filler, LentFileBytes } from '../../../src/stream/lent-file-bytes.js';
import { tempDir } from '../../helpers/archives.js';

const KiB = 1024;
// 700 KiB of random bytes after a 1000-byte prefix the range leaves out: no two windows alike.
const data = randomBytes(1000 + 700 * KiB);
const file = join(tempDir(), 'bytes');
writeFileSync(file, data);
const range = data.subarray(1000);

async function withBytes<T>(
  size: number,
  fn: (bytes: LentFileBytes, hash: ReturnType<typeof createHash>) => Promise<T>,
): Promise<T> {
  const fd = openSync(file, 'r');
  try {
    const hash = createHash('sha256');
    return await fn(new LentFileBytes(fd, 1000, size, [hash]), hash);
  } finally {
    closeSync(fd);
  }
}

/** recordingFiller gives rooms of `bytes` each and keeps what was filled in them, counting the reports. */
function recordingFiller(bytes: number): { filler: Filler; rooms: Buffer[]; waits: () => number } {
  const rooms: Buffer[] = [];
  let waits = 0;
  const filler: Filler = {
    room: () => {
      rooms.push(Buffer.alloc(bytes));
      return rooms[rooms.length - 1] as Buffer;
    },
    filled: (length) => {
      rooms[rooms.length - 1] = (rooms[rooms.length - 1] as Buffer).subarray(0, length);
      waits++;
      return Promise.resolve();
    },
  };
  return { filler, rooms, waits: () => waits };
}

test('LentFileBytes hands out the range in order and hashes every byte once, skipped ones included', async () => {
  await withBytes(range.length, async (bytes, hash) => {
    const header = await bytes.read(512);
    const body: Buffer[] = [];
    // 300 KiB spans the 256 KiB window: taken chunks are copied at once, as the directory writer does.
    for await (const chunk of bytes.take(300 * KiB)) body.push(Buffer.from(chunk));
    await bytes.skip(200 * KiB);
    const later = await bytes.read(1024);
    assert.deepEqual(header, range.subarray(0, 512));
    assert.deepEqual(Buffer.concat(body), range.subarray(512, 512 + 300 * KiB));
    assert.deepEqual(later, range.subarray(512 + 500 * KiB, 512 + 500 * KiB + 1024));
    const rest = range.length - bytes.position;
    assert.equal(await bytes.drain(), rest);
    assert.equal(bytes.position, range.length);
    assert.equal(await bytes.read(512), undefined, 'the end of the range');
    assert.equal(hash.digest('hex'), createHash('sha256').update(range).digest('hex'));
  });
});

test('LentFileBytes: what read returns stays intact; what take lends is reused', async () => {
  await withBytes(range.length, async (bytes) => {
    const kept = await bytes.read(512);
    let lent: Buffer | undefined;
    for await (const chunk of bytes.take(256 * KiB)) lent ??= chunk;
    const copy = Buffer.from(lent as Buffer);
    for await (const chunk of bytes.take(256 * KiB)) void chunk;
    assert.deepEqual(kept, range.subarray(0, 512), 'read gives the caller its own bytes');
    assert.notDeepEqual(lent, copy, 'a lent chunk is overwritten by the next read');
  });
});

test('LentFileBytes: a range past the end of the file, or a read past the range, is a truncation', async () => {
  await withBytes(range.length + 4096, async (bytes) => {
    await assert.rejects(
      bytes.drain(),
      (error: unknown) => error instanceof TruncatedError && error.position === range.length,
    );
  });
  await withBytes(1024, async (bytes) => {
    await assert.rejects(bytes.read(2048), TruncatedError);
  });
});

test(
  "LentFileBytes.takeInto puts bytes in the filler's memory, the " + "window's first, and hashes every byte once",
  async () => {
    await withBytes(range.length, async (bytes, hash) => {
      const header = await bytes.read(512);
      // Rooms of 100 KiB: the first bytes come from the window (read with the header), the rest straight from the file.
      const { filler, rooms, waits } = recordingFiller(100 * KiB);
      await bytes.takeInto(600 * KiB, filler);
      const after = await bytes.read(1024);
      assert.deepEqual(header, range.subarray(0, 512));
      assert.deepEqual(Buffer.concat(rooms), range.subarray(512, 512 + 600 * KiB));
      assert.ok(rooms.length >= 6 && waits() === rooms.length, 'each room is filled and reported');
      assert.deepEqual(
        after,
        range.subarray(512 + 600 * KiB, 512 + 600 * KiB + 1024),
        'reading goes on after the data',
      );
      await bytes.drain();
      assert.equal(hash.digest('hex'), createHash('sha256').update(range).digest('hex'));
    });
  },
);

test('LentFileBytes.takeInto past the end of the file is a truncation', async () => {
  await withBytes(range.length + 4096, async (bytes) => {
    const filler = { room: () => Buffer.alloc(64 * KiB), filled: () => undefined };
    await assert.rejects(
      bytes.takeInto(range.length + 4096, filler),
      (error: unknown) => error instanceof TruncatedError && error.position === range.length,
    );
  });
});

test('LentFileBytes with an offloaded hash reads into the ring and hashes every byte once, in order', async () => {
  const fd = openSync(file, 'r');
  try {
    const hash = new OffloadedHash('sha256');
    const bytes = new LentFileBytes(fd, 1000, range.length, [hash]);
    const parts: Buffer[] = [];
    // Headers, data taken across windows, an extension larger than the window, data read into
    // a filler: windows that are slots of the ring, and the paths that copy into it.
    parts.push((await bytes.read(512)) as Buffer);
    for await (const chunk of bytes.take(300 * KiB)) parts.push(Buffer.from(chunk));
    parts.push((await bytes.read(280 * KiB)) as Buffer);
    const { filler, rooms } = recordingFiller(50 * KiB);
    await bytes.takeInto(100 * KiB, filler);
    parts.push(...rooms);
    for (let left = range.length - bytes.position; left > 0; left -= 512) {
      parts.push((await bytes.read(Math.min(512, left))) as Buffer);
    }
    assert.deepEqual(Buffer.concat(parts), range);
    assert.equal(hash.digest('hex'), createHash('sha256').update(range).digest('hex'));
  } finally {
    closeSync(fd);
  }
});
