/**
 * Coalescing small chunks: a flattened tar is mostly 512-byte headers and small files, and
 * one write per piece costs a system call each (stdout to a file or pipe is synchronous).
 */

const LARGE = 64 * 1024;

/** coalesce joins small chunks into writes of about `size` bytes; large chunks pass through. */
export async function* coalesce(source: AsyncIterable<Buffer>, size = 256 * 1024): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    if (chunk.length >= LARGE) {
      if (pendingBytes > 0) {
        yield Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
      }
      yield chunk;
      continue;
    }
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= size) {
      yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
