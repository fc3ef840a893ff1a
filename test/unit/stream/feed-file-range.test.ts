import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import { TruncatedError } from '../../../src/stream/byte-reader.js';
import { feedFileRange } from '../../../src/stream/feed-file-range.js';
import { tempDir } from '../../helpers/archives.js';

const KiB = 1024;
// 900 KiB of random bytes after a 1000-byte prefix the range leaves out: more than both buffers.
const data = randomBytes(1000 + 900 * KiB);
const file = join(tempDir(), 'bytes');
writeFileSync(file, data);
const range = data.subarray(1000);

/** SlowSink copies each chunk only when it finishes taking it, a while later, as a decoder in the thread pool does. */
class SlowSink extends Writable {
  readonly taken: Buffer[] = [];
  ended = false;
  override _write(chunk: Buffer, _encoding: string, done: (error?: Error) => void): void {
    setTimeout(() => {
      this.taken.push(Buffer.from(chunk));
      done();
    }, 2);
  }
  override _final(done: () => void): void {
    this.ended = true;
    done();
  }
}

async function withHandle<T>(fn: (handle: Awaited<ReturnType<typeof open>>) => Promise<T>): Promise<T> {
  const handle = await open(file, 'r');
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

test(
  'feedFileRange writes the range in order, refilling no buffer before ' +
    'the sink has taken it, hashes it and ends the sink',
  async () => {
    const sink = new SlowSink();
    const hash = createHash('sha256');
    await withHandle((handle) => feedFileRange(handle, 1000, range.length, sink, hash));
    await finished(sink);
    assert.deepEqual(Buffer.concat(sink.taken), range);
    assert.equal(hash.digest('hex'), createHash('sha256').update(range).digest('hex'));
    assert.ok(sink.ended);
  },
);

test('feedFileRange: a range past the end of the file is a truncation', async () => {
  const sink = new SlowSink();
  await assert.rejects(
    withHandle((handle) => feedFileRange(handle, 1000, range.length + 10, sink, undefined)),
    (error: unknown) => error instanceof TruncatedError && error.position === range.length,
  );
  assert.equal(sink.ended, false);
});

test('feedFileRange rejects when the sink refuses a write, and when the signal aborts', async () => {
  const refusing = new Writable({ write: (_chunk, _encoding, done) => done(new Error('decoder says no')) });
  refusing.on('error', () => undefined);
  await assert.rejects(
    withHandle((handle) => feedFileRange(handle, 0, data.length, refusing, undefined)),
    /decoder says no/,
  );
  const aborted = AbortSignal.abort(new Error('stopped'));
  await assert.rejects(
    withHandle((handle) => feedFileRange(handle, 0, data.length, new SlowSink(), undefined, aborted)),
    /stopped/,
  );
});
