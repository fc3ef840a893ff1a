/**
 * LentFileRanges reads ranges of a file, in the order asked, through one reused window: for the
 * tar output's data pass, which knows from the first pass where each surviving file's data lies
 * in its layer and reads just that, no header parsed a second time. Consecutive small files share
 * a window's read; a range starting outside the window moves it there. Pieces are lent: each is
 * valid until the next is asked for.
 */
import { readSync } from 'node:fs';
import { TruncatedError } from './byte-reader.js';

const WINDOW = 1024 * 1024;

/** LentFileRanges reads within `size` bytes of file descriptor `fd` from `start`. */
export class LentFileRanges {
  private readonly window = Buffer.allocUnsafeSlow(WINDOW);
  /** windowStart is the range offset of window[0]; `valid` bytes from there have been read. */
  private windowStart = 0;
  private valid = 0;

  constructor(
    private readonly fd: number,
    private readonly start: number,
    private readonly size: number,
    private readonly signal?: AbortSignal,
  ) {}

  /** pieces lends the `length` bytes at `offset` of the range, in order, in pieces of at most a window. */
  *pieces(offset: number, length: number): Generator<Buffer, void, undefined> {
    if (offset + length > this.size) throw new TruncatedError(this.size);
    for (let at = offset, end = offset + length; at < end;) {
      if (at < this.windowStart || at >= this.windowStart + this.valid) this.read(at, end - at);
      const from = at - this.windowStart;
      const part = Math.min(this.valid - from, end - at);
      at += part;
      yield this.window.subarray(from, from + part);
    }
  }

  /**
   * lend lends the `length` bytes at `offset` as one buffer, valid until the next call: a header
   * and its extensions; more than a window is read into a buffer of its own.
   */
  lend(offset: number, length: number): Buffer {
    if (offset + length > this.size) throw new TruncatedError(this.size);
    if (length > WINDOW) {
      const own = Buffer.allocUnsafe(length);
      let filled = 0;
      for (const piece of this.pieces(offset, length)) filled += piece.copy(own, filled);
      return own;
    }
    if (offset < this.windowStart || offset + length > this.windowStart + this.valid) this.read(offset, length);
    return this.window.subarray(offset - this.windowStart, offset - this.windowStart + length);
  }

  /**
   * read fills the window from `offset`, as far as it holds or the range goes, reading ahead for
   * the ranges that follow; only the `needed` bytes must be there.
   */
  private read(offset: number, needed: number): void {
    this.signal?.throwIfAborted();
    const want = Math.min(WINDOW, this.size - offset);
    const must = Math.min(want, needed);
    this.windowStart = offset;
    this.valid = 0;
    while (this.valid < must) {
      const got = readSync(this.fd, this.window, this.valid, want - this.valid, this.start + offset + this.valid);
      if (got === 0) throw new TruncatedError(offset + this.valid);
      this.valid += got;
    }
  }
}
