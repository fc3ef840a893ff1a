/**
 * LentFileBytes reads a range of a file front to back through one reused window, handing every
 * byte to the digests as it is read, for the tar reader. Reading into a fresh buffer per chunk,
 * as a ReadStream does, costs more than hashing the bytes (page faults on new memory, cache
 * misses, garbage): reusing one window halves the time to read and digest a layer. The price is
 * the contract: `take` lends its chunks, which are valid only until the next call, so only a
 * consumer that copies them (the directory writer) or drops them may use it; `read` returns
 * bytes of the caller's own, as headers are kept. Reads are synchronous: they come from the page
 * cache in microseconds, and the thread has nothing else to do until they return.
 */

import { readSync } from 'node:fs';
import { TruncatedError } from './byte-reader.js';
import { type ByteHash, isSlotLender, type SlotLender } from './hash-thread.js';

const WINDOW = 256 * 1024;

/** Filler is memory of the consumer's own that `takeInto` reads file data straight into. */
export interface Filler {
  /** room returns memory for the next bytes, at least one byte long. */
  room(): Buffer;
  /** filled says the first `length` bytes of the last room now hold data; it may ask to wait. */
  filled(length: number): Promise<void> | undefined;
}

/** LentFileBytes reads `size` bytes of file descriptor `fd` from `start`, each once, in order. */
export class LentFileBytes {
  private window: Buffer = Buffer.allocUnsafeSlow(WINDOW);
  /**
   * lender, when the one hash is offloaded, lends the windows: they are slots of its ring, read
   * into and hashed in place (see hash-thread.ts). inSlot says the window is one.
   */
  private readonly lender: SlotLender | undefined;
  private inSlot = false;
  /** windowStart is the range offset of window[0]; `valid` bytes from there have been read. */
  private windowStart = 0;
  private valid = 0;
  /** position counts the bytes handed out or skipped so far. */
  position = 0;

  constructor(
    private readonly fd: number,
    private readonly start: number,
    private readonly size: number,
    private readonly hashes: ByteHash[],
    private readonly signal?: AbortSignal,
  ) {
    const [only] = hashes;
    this.lender = hashes.length === 1 && only !== undefined && isSlotLender(only) ? only : undefined;
  }

  private get available(): number {
    return this.windowStart + this.valid - this.position;
  }

  /** fill makes the window hold at least `n` bytes from `position`, reading as far ahead as it fits. */
  private fill(n: number): void {
    this.signal?.throwIfAborted();
    const kept = this.available;
    const slot = n <= WINDOW ? this.lender?.lendSlot() : undefined;
    const lender = slot !== undefined && slot.length >= n ? this.lender : undefined;
    // An extension header larger than the window gets a window of its size (bounded by the reader);
    // a slot of the ring is never kept as a window of our own: the ring fills it again.
    const window =
      lender !== undefined && slot !== undefined
        ? slot
        : n > this.window.length || this.inSlot
          ? Buffer.allocUnsafeSlow(Math.max(n, WINDOW))
          : this.window;
    this.window.copy(window, 0, this.position - this.windowStart, this.valid);
    this.window = window;
    this.inSlot = lender !== undefined;
    this.windowStart = this.position;
    this.valid = kept;
    while (this.valid < n) {
      const offset = this.windowStart + this.valid;
      const want = Math.min(window.length - this.valid, this.size - offset);
      const got = want > 0 ? readSync(this.fd, window, this.valid, want, this.start + offset) : 0;
      if (got === 0) throw new TruncatedError(offset);
      if (lender === undefined)
        for (const hash of this.hashes) hash.update(window.subarray(this.valid, this.valid + got));
      this.valid += got;
    }
    // The bytes kept from the last window were hashed with it; the new ones are hashed in place.
    lender?.commitSlot(kept, this.valid - kept);
  }

  /** read returns `n` bytes of the caller's own, or undefined at the end of the range. */
  async read(n: number): Promise<Buffer | undefined> {
    const lent = this.lend(n);
    return lent === undefined ? undefined : Buffer.from(lent);
  }

  /** lend returns the next `n` bytes as part of the window, valid until the next read; undefined at the end. */
  lend(n: number): Buffer | undefined {
    if (this.position >= this.size) return undefined;
    if (this.position + n > this.size) throw new TruncatedError(this.size);
    if (this.available < n) this.fill(n);
    const from = this.position - this.windowStart;
    this.position += n;
    return this.window.subarray(from, from + n);
  }

  /** take lends the next `n` bytes in chunks, each valid until the next call. */
  async *take(n: number): AsyncGenerator<Buffer, void, undefined> {
    for (let left = n; left > 0;) {
      if (this.available === 0) this.fill(Math.min(left, this.window.length));
      const from = this.position - this.windowStart;
      const part = Math.min(this.available, left);
      this.position += part;
      left -= part;
      yield this.window.subarray(from, from + part);
    }
  }

  /**
   * takeInto puts the next `n` bytes into `filler`'s memory: what the window holds already is
   * copied, the rest is read straight there and hashed there, so a big file's data is neither
   * read into the window nor copied out of it.
   */
  async takeInto(n: number, filler: Filler): Promise<void> {
    let left = n;
    while (left > 0 && this.available > 0) {
      const room = filler.room();
      const from = this.position - this.windowStart;
      const part = Math.min(this.available, left, room.length);
      this.window.copy(room, 0, from, from + part);
      this.position += part;
      left -= part;
      await filler.filled(part);
    }
    while (left > 0) {
      this.signal?.throwIfAborted();
      const room = filler.room();
      const got = readSync(this.fd, room, 0, Math.min(room.length, left), this.start + this.position);
      if (got === 0) throw new TruncatedError(this.position);
      for (const hash of this.hashes) hash.update(room.subarray(0, got));
      // The window, used up, is left empty at the new position.
      this.position = this.windowStart = this.position + got;
      this.valid = 0;
      left -= got;
      await filler.filled(got);
    }
  }

  /** skip moves past the next `n` bytes, reading them: every byte goes through the digests. */
  async skip(n: number): Promise<void> {
    for (let left = n; left > 0;) {
      if (this.available === 0) this.fill(Math.min(left, this.window.length));
      const part = Math.min(this.available, left);
      this.position += part;
      left -= part;
    }
  }

  /** drain reads to the end of the range and returns how many bytes that was. */
  async drain(): Promise<number> {
    const left = this.size - this.position;
    await this.skip(left);
    return left;
  }
}
