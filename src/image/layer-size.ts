/**
 * A layer's uncompressed size: its stored size when stored as a plain tar, otherwise counted by
 * decompressing it (streamed, nothing kept).
 */
import { pipeline } from 'node:stream/promises';
import { decoderFor, detectCompression, MAGIC_BYTES } from '../stream/compression.js';
import { peekStream } from '../stream/peek.js';
import type { Layer } from './types.js';

/** measureLayer returns the layer's compression and its uncompressed size in bytes. */
export async function measureLayer(layer: Layer): Promise<{ compression: string; uncompressedSize: number }> {
  const { head, stream } = await peekStream(layer.open(), MAGIC_BYTES);
  const compression = detectCompression(head);
  const decoder = decoderFor(compression, layer.where);
  if (decoder === undefined && layer.pathPrefix === undefined) {
    stream.destroy();
    return { compression, uncompressedSize: layer.size };
  }
  let uncompressedSize = 0;
  const count = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) uncompressedSize += chunk.length;
  };
  await (decoder === undefined ? pipeline(stream, count) : pipeline(stream, decoder, count));
  return { compression, uncompressedSize };
}
