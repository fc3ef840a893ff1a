/**
 * FileBytes gives the tar reader positional access to a file: skipping data is a seek, so an
 * archive of many gigabytes is indexed by reading only its header blocks.
 */
import type { FileHandle } from 'node:fs/promises';
import { TruncatedError } from './byte-reader.js';

const CHUNK = 1024 * 1024;

/** FileBytes reads a FileHandle from `position` up to `end`. */
export class FileBytes {
  constructor(private readonly handle: FileHandle, public position: number, private readonly end: number) {}

  /** read returns exactly `n` bytes, or undefined at the end of the file. */
  async read(n: number): Promise<Buffer | undefined> {
    if (this.position >= this.end) return undefined;
    if (this.position + n > this.end) throw new TruncatedError(this.end);
    const buffer = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.handle.read(buffer, done, n - done, this.position + done);
      if (bytesRead === 0) throw new TruncatedError(this.position + done);
      done += bytesRead;
    }
    this.position += n;
    return buffer;
  }

  /** take yields the next `n` bytes in chunks. */
  async *take(n: number): AsyncGenerator<Buffer, void, undefined> {
    let left = n;
    while (left > 0) {
      const part = await this.read(Math.min(CHUNK, left));
      if (part === undefined) throw new TruncatedError(this.position);
      left -= part.length;
      yield part;
    }
  }

  /** skip moves past the next `n` bytes without reading them. */
  async skip(n: number): Promise<void> {
    if (this.position + n > this.end) throw new TruncatedError(this.end);
    this.position += n;
  }

  /** drain has nothing to do: nothing digests a file read this way. */
  async drain(): Promise<number> {
    return 0;
  }
}
