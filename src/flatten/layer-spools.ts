/**
 * Layer spools: a compressed layer is decompressed once for the tar output, not twice. The tar
 * is written in two passes (plan, then data); a plain layer in a file is read positionally by
 * both, but a compressed one had to be decoded by each, and decoding was most of the time of a
 * flatten of gzip layers (measured: 1 GiB of gzip layers, 8.5 s, of which the main thread waited
 * 4.6 s for zlib). Now the plan pass decodes it, checks its digests, and keeps the tar it decoded
 * in a temporary file; the data pass reads that file as it reads a plain layer, with nothing left
 * to check: the bytes it copies are the bytes that were hashed.
 *
 * The file is unlinked as soon as it is open (as image/spool.ts does), so nothing is left behind
 * even after a SIGKILL. It takes as much room in $TMPDIR as the layer's tar; a spool that cannot
 * be written (a full $TMPDIR) is dropped, and the data pass decodes that layer again, as before.
 */
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Layer, LayerFile } from '../image/types.js';
import { fileReads } from './file-reads.js';

/** LayerSpool takes one layer's decoded tar as it is read. */
export interface LayerSpool {
  /** write appends decoded tar bytes. */
  write(bytes: Buffer): void;
  /** finish says the layer was read to its end and its digests matched: the spool may stand in for it. */
  finish(): void;
}

/** Spooled is a layer's spool: a plain tar, its digests already checked, as a file and as a Layer that reads it. */
interface Spooled {
  file: LayerFile;
  layer: Layer;
}

function spoolOf(original: Layer, handle: FileHandle, size: number): Spooled {
  const { digest: _digest, diffId: _diffId, ...rest } = original;
  const file: LayerFile = { handle, start: 0, size, close: async () => undefined };
  return { file, layer: { ...rest, size, ...fileReads(file) } };
}

/** LayerSpools holds the spools of one flatten; `close` releases them all. */
export class LayerSpools {
  private readonly spooled = new Map<Layer, Spooled>();
  /** writing holds each spool still written: the file so far, undefined once a write failed. */
  private readonly writing = new Map<Layer, LayerFile | undefined>();
  private readonly handles: FileHandle[] = [];

  /** begin opens a spool for `layer`. */
  async begin(layer: Layer): Promise<LayerSpool> {
    const path = join(process.env.TMPDIR ?? tmpdir(), `undocker-layer-${randomBytes(6).toString('hex')}`);
    const handle = await open(path, 'w+', 0o600);
    this.handles.push(handle);
    await unlink(path);
    let size = 0;
    let failed = false;
    const part: LayerFile = { handle, start: 0, size: 0, close: async () => undefined };
    this.writing.set(layer, part);
    return {
      write: (bytes) => {
        if (failed) return;
        try {
          for (let done = 0; done < bytes.length;) {
            const written = writeSync(handle.fd, bytes, done, bytes.length - done, size);
            done += written;
            size += written;
          }
          part.size = size;
        } catch {
          failed = true; // no room: this layer is decoded again by the data pass
          this.writing.set(layer, undefined);
          void handle.truncate(0).catch(() => undefined);
        }
      },
      finish: () => {
        this.writing.delete(layer);
        if (!failed) this.spooled.set(layer, spoolOf(layer, handle, size));
      },
    };
  }

  /** dataLayer is what the data pass reads for `layer`: its spool, or the layer itself. */
  dataLayer(layer: Layer): Layer {
    return this.spooled.get(layer)?.layer ?? layer;
  }

  /** fileOf is the spool of `layer` as a file, if it has one. */
  fileOf(layer: Layer): LayerFile | undefined {
    return this.spooled.get(layer)?.file;
  }

  /** partOf is the part of `layer` spooled so far while it is read, for entries read again before its end. */
  partOf(layer: Layer): LayerFile | undefined {
    return this.writing.get(layer);
  }

  async close(): Promise<void> {
    this.spooled.clear();
    this.writing.clear();
    await Promise.all(this.handles.splice(0).map((handle) => handle.close().catch(() => undefined)));
  }
}
