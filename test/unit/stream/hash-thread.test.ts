import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { hashFor, OFFLOAD_BYTES, OffloadedHash } from '../../../src/stream/hash-thread.js';

const MiB = 1024 * 1024;

test('an offloaded hash equals node:crypto over pieces of every size, the buffer reused at once', () => {
  const data = randomBytes(3 * MiB + 12_345);
  const offloaded = new OffloadedHash('sha256');
  const scratch = Buffer.alloc(600 * 1024);
  // Pieces of 0 bytes, under a slot, exactly a slot, and over several slots, each copied into
  // the same scratch buffer that is overwritten right after update returns.
  const sizes = [0, 1, 511, 256 * 1024, 600 * 1024, 100, 300 * 1024];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const size = Math.min(sizes[i % sizes.length]!, data.length - at);
    data.copy(scratch, 0, at, at + size);
    offloaded.update(scratch.subarray(0, size));
    scratch.fill(0xff);
    at += size;
  }
  assert.equal(offloaded.digest('hex'), createHash('sha256').update(data).digest('hex'));
});

test('offloaded hashes interleaved with each other finish each with its own digest, sha512 too', () => {
  const a = randomBytes(2 * MiB);
  const b = randomBytes(MiB + 7);
  const first = new OffloadedHash('sha256');
  const second = new OffloadedHash('sha512');
  for (let at = 0; at < a.length; at += 64 * 1024) {
    first.update(a.subarray(at, at + 64 * 1024));
    second.update(b.subarray(at / 2, Math.min(b.length, at / 2 + 32 * 1024)));
  }
  second.update(b.subarray(a.length / 2));
  // Finished in the other order than started.
  assert.equal(second.digest('hex'), createHash('sha512').update(b).digest('hex'));
  assert.equal(first.digest('hex'), createHash('sha256').update(a).digest('hex'));
  assert.throws(() => first.digest('hex'), /already/);
});

test('hashFor hashes in place below the offload size and on the thread from it', () => {
  assert.ok(!(hashFor('sha256', OFFLOAD_BYTES - 1) instanceof OffloadedHash));
  assert.ok(hashFor('sha256', OFFLOAD_BYTES) instanceof OffloadedHash);
  const empty = hashFor('sha256', OFFLOAD_BYTES);
  assert.equal(empty.digest('hex'), createHash('sha256').digest('hex'));
});
