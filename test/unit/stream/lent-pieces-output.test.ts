import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { doneWithWritten, writeLentPieces } from '../../../src/stream/lent-pieces-output.js';
import { tempDir } from '../../helpers/archives.js';

/** lent yields `data` in pieces of the given sizes, each from one buffer overwritten after it is taken. */
async function* lent(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  const window = Buffer.alloc(Math.max(...sizes));
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const size = Math.min(sizes[i % sizes.length]!, data.length - at);
    data.copy(window, 0, at, at + size);
    yield window.subarray(0, size);
    window.fill(0xee); // the piece was lent: whatever kept it now holds garbage
    at += size;
  }
}

/** slowSink keeps what it is given (not a copy: a stream may), calling back later, as a pipe or an encoder does. */
function slowSink(chunks: Buffer[], writes: number[]): Writable {
  return new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.length);
      chunks.push(chunk);
      setTimeout(callback, 1);
    },
  });
}

test('lent pieces reach the output whole and in order, joined into large writes', async () => {
  const data = randomBytes(5 * 1024 * 1024 + 333);
  const chunks: Buffer[] = [];
  const writes: number[] = [];
  await writeLentPieces(lent(data, [512, 100, 3 * 1024 * 1024, 1, 700_000]), slowSink(chunks, writes));
  assert.deepEqual(Buffer.concat(chunks), data);
  // Every write but the last is a full buffer: 512-byte pieces are not written one by one.
  assert.ok(
    writes.slice(0, -1).every((size) => size === 1024 * 1024),
    String(writes),
  );
});

test(
  'an output that fails ends the writing with its error, and the pieces are closed',
  { timeout: 10_000 },
  async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<Buffer> {
      try {
        for (;;) yield Buffer.alloc(64 * 1024);
      } finally {
        closed = true;
      }
    }
    const output = new PassThrough();
    output.resume();
    setTimeout(() => output.destroy(Object.assign(new Error('disk full'), { code: 'ENOSPC' })), 5);
    await assert.rejects(writeLentPieces(endless(), output), /disk full|destroyed/);
    assert.ok(closed);
  },
);

test('a write that fails at the end is reported once, and the error event that follows it later is heard', async () => {
  // As a full disk does to a file: the write calls back with the error at once, the stream's
  // 'error' event comes only after its file is closed, when the writer may have given up.
  let emitted = false;
  const output = new Writable({
    write(_chunk, _encoding, callback) {
      callback(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    },
    destroy(error, callback) {
      setTimeout(() => {
        emitted = true;
        callback(error);
      }, 50);
    },
  });
  await assert.rejects(writeLentPieces(lent(Buffer.alloc(1000, 1), [100]), output, undefined, true), /no space left/);
  // An unheard 'error' event would fail this test as an uncaught exception.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(emitted, 'the late event did come');
});

test(
  'pieces made synchronously into an output that calls back at once still let a signal handler run',
  { timeout: 10_000 },
  async () => {
    // A file or pipe as standard output writes synchronously, and a plain layer is read so:
    // without a turn of the event loop now and then, an interrupt would wait for the end.
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) yield Buffer.alloc(64 * 1024);
    }
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    setTimeout(() => controller.abort(new Error('interrupted')), 5);
    await assert.rejects(writeLentPieces(endless(), output, controller.signal), /interrupted/);
  },
);

test('an abort stops the writing with the abort reason', async () => {
  const controller = new AbortController();
  async function* endless(): AsyncGenerator<Buffer> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      yield Buffer.alloc(256 * 1024);
    }
  }
  const output = new PassThrough();
  output.resume();
  setTimeout(() => controller.abort(new Error('interrupted')), 5);
  await assert.rejects(writeLentPieces(endless(), output, controller.signal), /interrupted/);
});

test('buffers are reused only for a stream that is done with them when it calls back', async () => {
  assert.equal(doneWithWritten(new PassThrough()), false);
  assert.equal(doneWithWritten(process.stdout), true);
  const file = createWriteStream(join(tempDir(), 'out'));
  assert.equal(doneWithWritten(file), true);
  // Reused buffers with a stream that copies before calling back: the bytes still arrive whole.
  const data = randomBytes(6 * 1024 * 1024 + 5);
  await writeLentPieces(lent(data, [4096, 700_000, 512]), file);
  assert.deepEqual(readFileSync(file.path), data);
});
