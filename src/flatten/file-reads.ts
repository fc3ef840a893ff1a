/** A Layer that reads a file already open: a spool's, or a layer held open for both passes. */
import { Readable } from 'node:stream';
import type { Layer, LayerFile } from '../image/types.js';

/** fileReads reads a range of an open file, as a stream and positionally, never closing it: its owner does. */
export function fileReads({ handle, start, size }: LayerFile): Pick<Layer, 'open' | 'openFile'> {
  const file: LayerFile = { handle, start, size, close: async () => undefined };
  return {
    // A stream's `end` is inclusive: an empty range is no stream of the file at all.
    open: () =>
      size === 0 ? Readable.from([]) : handle.createReadStream({ start, end: start + size - 1, autoClose: false }),
    openFile: async () => file,
  };
}
