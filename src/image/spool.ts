/**
 * Spooling: standard input and compressed archives are copied (decompressed) into a temporary
 * file that is unlinked as soon as it is open, so random access works and nothing is left
 * behind even if undocker is killed.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { decoderFor, type Compression } from '../stream/compression.js';

/** spoolToTempFile writes `source`, decompressed, to an anonymous temporary file and returns it open. */
export async function spoolToTempFile(source: Readable, compression: Compression, signal?: AbortSignal): Promise<FileHandle> {
  const path = join(process.env.TMPDIR ?? tmpdir(), `undocker-spool-${randomBytes(6).toString('hex')}`);
  const handle = await open(path, 'w+', 0o600);
  await unlink(path);
  try {
    const sink = handle.createWriteStream({ autoClose: false, highWaterMark: 1024 * 1024 });
    const decoder = decoderFor(compression);
    await (decoder === undefined
      ? pipeline(source, sink, { signal })
      : pipeline(source, decoder, sink, { signal }));
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}
