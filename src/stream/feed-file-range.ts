/**
 * Feeding a range of a file to a decoder through two buffers used in turn, each refilled only
 * once the decoder has taken what it held. A ReadStream allocates a buffer per read instead, and
 * those buffers outlive V8's young-generation collections while zlib works on them in the thread
 * pool: they pile up in the old generation, tens of MB of garbage, until a full collection.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { TruncatedError } from './byte-reader.js';
import type { ByteHash } from './hash-thread.js';

const CHUNK = 256 * 1024;

/**
 * whenClosed rejects once `stream` closes, with its error if it has one. A stream destroyed
 * mid-write (a decoder that met bad data) never calls that write back: this is the way out.
 */
function whenClosed(stream: Writable): { closed: Promise<never>; forget(): void } {
  let onClose = (): void => undefined;
  const closed = new Promise<never>((_resolve, reject) => {
    onClose = () => {
      reject(stream.errored ?? new Error('the decoder closed before it took all the data'));
    };
    stream.once('close', onClose);
  });
  closed.catch(() => undefined); // only raced, never awaited alone
  return {
    closed,
    forget: () => {
      stream.off('close', onClose);
    },
  };
}

/**
 * feedFileRange writes `size` bytes of `handle` from `start` into `into`, hashing them as they
 * are read, and ends it. It resolves once `into` has taken every byte, and rejects if reading
 * fails, `into` refuses a write or closes early; destroying `into` then is the caller's part.
 */
export async function feedFileRange(
  handle: FileHandle,
  start: number,
  size: number,
  into: Writable,
  hash: ByteHash | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
  const taken: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  const { closed, forget } = whenClosed(into);
  try {
    for (let offset = 0, turn = 0; offset < size; turn ^= 1) {
      await Promise.race([taken[turn], closed]);
      signal?.throwIfAborted();
      const buffer = buffers[turn]!;
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, size - offset), start + offset);
      if (bytesRead === 0) throw new TruncatedError(offset);
      const chunk = buffer.subarray(0, bytesRead);
      hash?.update(chunk);
      offset += bytesRead;
      const written = new Promise<void>((resolve, reject) => {
        into.write(chunk, (error) => {
          if (error) reject(error);
          else resolve();
        });
      });
      written.catch(() => undefined); // awaited in its turn; failing earlier is not unhandled
      taken[turn] = written;
    }
    await Promise.race([Promise.all(taken), closed]);
    into.end();
  } finally {
    forget();
  }
}
