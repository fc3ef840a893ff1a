import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { test } from 'node:test';
import { hashFileRange } from '../../../src/stream/range-hash.js';
import { tempDir } from '../../helpers/archives.js';

const MiB = 1024 * 1024;

function fileOf(bytes: Buffer): string {
  const path = join(tempDir(), 'data');
  writeFileSync(path, bytes);
  return path;
}

test('a range hashed on the thread equals node:crypto over the same bytes, for ranges in turn and sha512', async () => {
  const data = randomBytes(3 * MiB + 777);
  const handle = await open(fileOf(data), 'r');
  try {
    const whole = hashFileRange(handle.fd, 0, data.length, 'sha256');
    const middle = hashFileRange(handle.fd, 12_345, 2 * MiB, 'sha512');
    const empty = hashFileRange(handle.fd, 100, 0, 'sha256');
    assert.equal(await whole.digest, createHash('sha256').update(data).digest('hex'));
    const part = data.subarray(12_345, 12_345 + 2 * MiB);
    assert.equal(await middle.digest, createHash('sha512').update(part).digest('hex'));
    assert.equal(await empty.digest, createHash('sha256').digest('hex'));
  } finally {
    await handle.close();
  }
});

test('a range past the end of the file is refused with how much is missing', async () => {
  const handle = await open(fileOf(randomBytes(1000)), 'r');
  try {
    await assert.rejects(hashFileRange(handle.fd, 500, 600, 'sha256').digest, /the file ends 100 bytes early/);
  } finally {
    await handle.close();
  }
});

test('a cancelled hash settles without a digest, and the jobs after it still get theirs', async () => {
  const data = randomBytes(8 * MiB);
  const handle = await open(fileOf(data), 'r');
  try {
    const first = hashFileRange(handle.fd, 0, data.length, 'sha256');
    const second = hashFileRange(handle.fd, 0, MiB, 'sha256');
    await first.cancel();
    // Cancelled before or while the thread read it: either way no digest, and nothing reads the file after.
    await assert.rejects(first.digest, /cancelled/);
    assert.equal(await second.digest, createHash('sha256').update(data.subarray(0, MiB)).digest('hex'));
  } finally {
    await handle.close();
  }
});

/** threads counts this process's threads. */
function threads(): number {
  return readdirSync('/proc/self/task').length;
}

test('the thread ends once it owes no digest, and the next hash starts another', async () => {
  const data = randomBytes(2 * MiB);
  const handle = await open(fileOf(data), 'r'); // the file pool's threads exist from here on
  try {
    const before = threads();
    const first = hashFileRange(handle.fd, 0, data.length, 'sha256');
    assert.ok(threads() > before, 'a thread started');
    assert.equal(await first.digest, createHash('sha256').update(data).digest('hex'));
    for (let waited = 0; threads() > before && waited < 5000; waited += 20) await setTimeout(20);
    assert.equal(threads(), before, 'the thread ended');
    const second = hashFileRange(handle.fd, 1, 1000, 'sha256');
    assert.equal(await second.digest, createHash('sha256').update(data.subarray(1, 1001)).digest('hex'));
  } finally {
    await handle.close();
  }
});
