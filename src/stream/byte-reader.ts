/**
 * ByteReader reads exact byte counts from an async iterable of chunks without copying more than
 * it must: bodies are handed on as sub-arrays of the chunks that arrived.
 */

/** TruncatedError reports that the data ended before a read it needed. */
export class TruncatedError extends Error {
  constructor(readonly position: number) {
    super(`unexpected end of data at byte ${position}`);
    this.name = 'TruncatedError';
  }
}

const EMPTY = Buffer.alloc(0);

/** ByteReader consumes a chunk source in exact-size steps. */
export class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private chunk: Buffer = EMPTY;
  private ended = false;
  /** position counts the bytes handed out or skipped so far. */
  position = 0;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.iterator = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    while (this.chunk.length === 0) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      const value: unknown = next.value;
      this.chunk = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
    }
    return true;
  }

  /** read returns exactly `n` bytes, or undefined if the data ends before the first byte. */
  async read(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill())) return undefined;
    if (this.chunk.length >= n) {
      const out = this.chunk.subarray(0, n);
      this.chunk = this.chunk.subarray(n);
      this.position += n;
      return out;
    }
    const parts: Buffer[] = [];
    let need = n;
    for await (const part of this.take(n)) {
      parts.push(part);
      need -= part.length;
    }
    return need === 0 ? Buffer.concat(parts, n) : undefined;
  }

  /** take yields the next `n` bytes as chunks; it throws TruncatedError if they are not there. */
  async *take(n: number): AsyncGenerator<Buffer, void, undefined> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw new TruncatedError(this.position);
      const part = this.chunk.length <= left ? this.chunk : this.chunk.subarray(0, left);
      this.chunk = this.chunk.subarray(part.length);
      this.position += part.length;
      left -= part.length;
      yield part;
    }
  }

  /** skip discards the next `n` bytes. */
  async skip(n: number): Promise<void> {
    for await (const part of this.take(n)) void part;
  }

  /** drain reads to the end of the data and returns how many bytes that was. */
  async drain(): Promise<number> {
    let count = 0;
    while (await this.fill()) {
      count += this.chunk.length;
      this.position += this.chunk.length;
      this.chunk = EMPTY;
    }
    return count;
  }

  /** close stops the underlying source early. */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
