/**
 * A root file system tar (plain, gzip, xz, zstd or bzip2, told apart by magic bytes) as entries
 * for import, in the tar's own order. Paths are cleaned the way the Docker engine cleans them;
 * one that climbs out of the root is refused, naming the entry.
 */
import { pipeline, type Readable } from 'node:stream';
import { splitEntryPath } from '../flatten/paths.js';
import { decoderFor, detectCompression, MAGIC_BYTES } from '../stream/compression.js';
import { peekStream } from '../stream/peek.js';
import { readTar } from '../tar/reader.js';
import type { RootfsItem } from '../write/layer.js';

/** tarRootfsEntries reads the entries of a rootfs tar; `where` names it in messages. */
export async function* tarRootfsEntries(source: Readable, where: string): AsyncGenerator<RootfsItem> {
  const { head, stream } = await peekStream(source, MAGIC_BYTES);
  const decoder = decoderFor(detectCompression(head), where);
  const bytes: Readable = decoder === undefined ? stream : pipeline(stream, decoder, () => undefined);
  try {
    for await (const { entry, body } of readTar(bytes as AsyncIterable<Buffer>, { where })) {
      const path = splitEntryPath(entry.path, where).join('/');
      if (path === '') {
        for await (const chunk of body) void chunk; // the root itself: a layer does not carry it
        continue;
      }
      const linkname = entry.type === 'hardlink' ? splitEntryPath(entry.linkname, where).join('/') : entry.linkname;
      yield { entry: { ...entry, path, linkname }, data: body };
    }
  } finally {
    bytes.destroy();
  }
}
