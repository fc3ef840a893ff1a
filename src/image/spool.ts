/**
 * Spooling: standard input and compressed archives are copied (decompressed) into a temporary
 * file that is unlinked as soon as it is open, so random access works and nothing is left
 * behind even if undocker is killed.
 */
import { randomBytes } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { decoderFor, type Compression } from '../stream/compression.js';

/**
 * spoolToTempFile writes `source`, decompressed, to an anonymous temporary file and returns it open; `where` names the
 * input.
 */
export async function spoolToTempFile(
  source: Readable,
  compression: Compression,
  where: string,
  signal?: AbortSignal,
): Promise<FileHandle> {
  const path = join(process.env.TMPDIR ?? tmpdir(), `undocker-spool-${randomBytes(6).toString('hex')}`);
  const handle = await open(path, 'w+', 0o600);
  await unlink(path);
  const decoder = decoderFor(compression, where);
  const bytes: Readable = decoder === undefined ? source : pipeline(source, decoder, () => undefined);
  try {
    let position = 0;
    for await (const chunk of bytes as AsyncIterable<Buffer>) {
      signal?.throwIfAborted();
      for (let done = 0; done < chunk.length;) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    return handle;
  } catch (error) {
    bytes.destroy();
    await handle.close();
    throw error;
  }
}
