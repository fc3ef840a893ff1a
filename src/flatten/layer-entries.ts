/**
 * Reading a layer as tar entries: compression detected from its first bytes, the stored bytes
 * checked against the blob digest and the uncompressed bytes against the config's diff_id,
 * both while streaming and over every byte (the reader drains past the end-of-archive).
 */
import { pipeline, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { BadArchiveError, DigestMismatchError, UndockerError } from '../errors.js';
import { hasherFor } from '../image/digest.js';
import type { Layer, LayerFile } from '../image/types.js';
import { type Compression, decoderFor, detectCompression, MAGIC_BYTES } from '../stream/compression.js';
import { feedFileRange } from '../stream/feed-file-range.js';
import { FileBytes } from '../stream/file-bytes.js';
import { LentFileBytes } from '../stream/lent-file-bytes.js';
import type { ByteHash } from '../stream/hash-thread.js';
import { peekStream } from '../stream/peek.js';
import { readTar, type TarItem } from '../tar/reader.js';
import type { LayerSpools } from './layer-spools.js';
import { stripPrefix } from './paths.js';

async function* tap(
  source: AsyncIterable<Buffer>,
  hash: ByteHash | undefined,
  copy?: (bytes: Buffer) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash?.update(chunk);
    copy?.(chunk);
    yield chunk;
  }
}

/**
 * underPrefix keeps the entries below a layer's path prefix (an ACI's `rootfs/`), with it removed.
 * Without a prefix it is the items themselves: a generator between costs a hop per entry.
 */
function underPrefix(items: AsyncIterable<TarItem>, prefix: string | undefined): AsyncIterable<TarItem> {
  return prefix === undefined ? items : stripped(items, prefix);
}

async function* stripped(items: AsyncIterable<TarItem>, prefix: string): AsyncGenerator<TarItem> {
  for await (const item of items) {
    const path = stripPrefix(item.entry.path, prefix);
    if (path === undefined) continue;
    const linkname =
      item.entry.type === 'hardlink'
        ? (stripPrefix(item.entry.linkname, prefix) ?? item.entry.linkname)
        : item.entry.linkname;
    yield { ...item, entry: { ...item.entry, path, linkname } };
  }
}

/** openLayerFile opens a layer for positional reads when it is a range of a file, and names its compression. */
export async function openLayerFile(layer: Layer): Promise<{ file: LayerFile; compression: Compression } | undefined> {
  const file = await layer.openFile?.();
  if (file === undefined) return undefined;
  const head = Buffer.alloc(MAGIC_BYTES);
  await file.handle.read(head, 0, Math.min(MAGIC_BYTES, file.size), file.start);
  return { file, compression: detectCompression(head) };
}

/** openPlainFile opens a layer for positional reads when it is an uncompressed tar in a range of a file. */
async function openPlainFile(layer: Layer): Promise<LayerFile | undefined> {
  const opened = await openLayerFile(layer);
  if (opened?.compression === 'none') return opened.file;
  await opened?.file.close();
  return undefined;
}

/**
 * layerHeaders yields a layer's entries without their data, for planning. A plain tar that is
 * a range of a file is read by seeking past the data, so only its header blocks are read. Other
 * layers are read whole: given `spools`, their tar is kept there, its digests checked, for the
 * data pass to read instead (see layer-spools.ts); without, they are not hashed either, as
 * digests belong to the pass that reads the data, which is what is trusted (and a layer that
 * changed between the passes fails there).
 */
export async function* layerHeaders(layer: Layer, signal?: AbortSignal, spools?: LayerSpools): AsyncGenerator<TarItem> {
  const file = await openPlainFile(layer);
  if (file === undefined && spools !== undefined) {
    const spool = await spools.begin(layer);
    yield* layerEntries(layer, signal, { copyTo: spool.write, decodeChunk: PLAN_DECODE_CHUNK });
    spool.finish();
    return;
  }
  if (file === undefined) return yield* layerEntries(layer, signal, { unverified: true });
  try {
    try {
      yield* underPrefix(
        readTar(new FileBytes(file.handle, file.start, file.start + file.size), { where: layer.where }),
        layer.pathPrefix,
      );
    } catch (error) {
      await verifyLayerDigests(layer); // a digest mismatch is the better answer, where there is one
      throw error;
    }
  } finally {
    await file.close();
  }
}

/**
 * PLAN_DECODE_CHUNK sizes gzip's buffers for the plan pass, which only spools and parses headers:
 * its buffers die young at 128 KB too (peak 102 MB on 300,000 files, ten runs), and against 64 KB
 * that saved a twentieth of the CPU time on 1 GiB of gzip layers.
 */
const PLAN_DECODE_CHUNK = 128 * 1024;

/** TarSource is a layer's tar bytes as the reader takes them, and how to end reading them. */
interface TarSource {
  bytes: AsyncIterable<Buffer> | LentFileBytes;
  compression: Compression;
  /** finished waits for the stored bytes to be read to their end, so the blob digest covers them all. */
  finished(): Promise<void>;
  close(): Promise<void>;
}

/**
 * LayerDigests are the hashes a layer's bytes go through. When the stored bytes are the tar
 * itself and both digests are the same (Docker 25+ saves, uncompressed OCI layers), one hash
 * serves both: hashing a gigabyte twice costs half a second.
 */
class LayerDigests {
  readonly blob: ByteHash | undefined;
  private readonly diff: ByteHash | undefined;

  constructor(
    private readonly layer: Layer,
    checked = true,
  ) {
    // The uncompressed size is unknown until read (the compression too): the diff_id hash takes it as 4 times the
    // stored size, which sends a plain layer from 8 MB to the hashing thread as well.
    const { digest, diffId, size } = layer;
    this.blob = checked && digest !== undefined ? hasherFor(digest, size) : undefined;
    this.diff = checked && diffId !== undefined ? hasherFor(diffId, size * 4) : undefined;
  }

  /** shared tells whether the blob hash also serves as the diff_id's, for a layer stored so. */
  private shared(compression: Compression): boolean {
    return compression === 'none' && this.blob !== undefined && this.layer.digest === this.layer.diffId;
  }

  /** tarHash is the hash the uncompressed tar goes through, if it is not the stored bytes' hash already. */
  tarHash(compression: Compression): ByteHash | undefined {
    return this.shared(compression) ? undefined : this.diff;
  }

  /** verify throws if what was read, stored with `compression`, does not match the digests. */
  verify(compression: Compression): void {
    verify(this.layer.where, 'stored', this.layer.digest, this.blob);
    if (this.shared(compression)) return;
    verify(this.layer.where, 'uncompressed', this.layer.diffId, this.diff);
  }
}

/** streamSource reads a layer as a stream, decompressed as its first bytes say, through the digests. */
async function streamSource(
  layer: Layer,
  digests: LayerDigests,
  signal: AbortSignal | undefined,
  { copyTo, decodeChunk }: LayerReadOptions,
): Promise<TarSource> {
  const { head, stream } = await peekStream(layer.open(), MAGIC_BYTES);
  const stored = Readable.from(tap(stream, digests.blob), { objectMode: false, highWaterMark: 1 });
  const compression = detectCompression(head);
  const decoder = decoderFor(compression, layer.where, decodeChunk);
  const tarBytes: Readable = decoder === undefined ? stored : pipeline(stored, decoder, () => undefined);
  const abort = (): void => {
    tarBytes.destroy(signal?.reason as Error);
  };
  signal?.addEventListener('abort', abort, { once: true });
  return {
    bytes: tap(tarBytes, digests.tarHash(compression), copyTo),
    compression,
    finished: () => finished(stored).catch(() => undefined),
    close: async () => {
      signal?.removeEventListener('abort', abort);
      stored.destroy();
    },
  };
}

/** lentSource reads a plain layer's file range through one reused window (see LentFileBytes). */
function lentSource(file: LayerFile, digests: LayerDigests, signal?: AbortSignal): TarSource {
  const hashes = [digests.blob, digests.tarHash('none')].filter((hash): hash is ByteHash => hash !== undefined);
  const bytes = new LentFileBytes(file.handle.fd, file.start, file.size, hashes, signal);
  return { bytes, compression: 'none', finished: async () => undefined, close: () => file.close() };
}

/** fileSource decodes a compressed layer that is a range of a file, fed to the decoder through reused buffers. */
function fileSource(
  file: LayerFile,
  compression: Compression,
  digests: LayerDigests,
  where: string,
  signal: AbortSignal | undefined,
  { copyTo, decodeChunk }: LayerReadOptions,
): TarSource {
  const decoder = decoderFor(compression, where, decodeChunk)!;
  const fed = feedFileRange(file.handle, file.start, file.size, decoder, digests.blob, signal);
  fed.catch((error: Error) => {
    decoder.destroy(error);
  });
  const abort = (): void => {
    decoder.destroy(signal?.reason as Error);
  };
  signal?.addEventListener('abort', abort, { once: true });
  return {
    bytes: tap(decoder, digests.tarHash(compression), copyTo),
    compression,
    finished: () => fed.catch(() => undefined),
    close: async () => {
      signal?.removeEventListener('abort', abort);
      decoder.destroy();
      await fed.catch(() => undefined);
      await file.close();
    },
  };
}

/** openSource picks how to read a layer: through a lent window, fed from its file, or as a stream. */
async function openSource(
  layer: Layer,
  digests: LayerDigests,
  signal: AbortSignal | undefined,
  options: LayerReadOptions,
): Promise<TarSource> {
  const opened = await openLayerFile(layer);
  if (opened !== undefined && opened.compression !== 'none')
    return fileSource(opened.file, opened.compression, digests, layer.where, signal, options);
  if (opened !== undefined && options.lentChunks && options.copyTo === undefined)
    return lentSource(opened.file, digests, signal);
  await opened?.file.close();
  return streamSource(layer, digests, signal, options);
}

/**
 * LayerReadOptions: with `lentChunks`, a consumer that copies file data or drops it lets a plain layer be read faster;
 * `unverified` skips the digests, for a plan that a verified read of the same layer follows;
 * `copyTo` gets every byte of the (decompressed) tar as it is read, for a spool; `decodeChunk` sizes gzip's buffers.
 */
export interface LayerReadOptions {
  lentChunks?: boolean;
  unverified?: boolean;
  copyTo?: (tar: Buffer) => void;
  decodeChunk?: number;
}

/** layerEntries yields a layer's entries; it throws at the end if a digest does not match. */
export async function* layerEntries(
  layer: Layer,
  signal?: AbortSignal,
  options: LayerReadOptions = {},
): AsyncGenerator<TarItem> {
  const digests = new LayerDigests(layer, options.unverified !== true);
  const source = await openSource(layer, digests, signal, options);
  try {
    yield* underPrefix(readTar(source.bytes, { where: layer.where }), layer.pathPrefix);
    await source.finished();
  } catch (error) {
    if (signal?.aborted || error instanceof DigestMismatchError) throw error;
    // A layer that fails to decode or parse is most often not what its digests say: say that.
    await verifyLayerDigests(layer);
    if (error instanceof UndockerError) throw error;
    const what = source.compression === 'none' ? 'the layer' : `${source.compression} data`;
    throw new BadArchiveError(`${layer.where}: cannot read ${what}: ${(error as Error).message}`, error);
  } finally {
    await source.close();
  }
  digests.verify(source.compression);
}

/**
 * layerTarBytes yields a layer's tar exactly as stored, decompressed; it throws at the end if a
 * digest does not match, so a caller writes to a temporary name until then.
 */
export async function* layerTarBytes(layer: Layer, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const digests = new LayerDigests(layer);
  const source = await openSource(layer, digests, signal, {});
  try {
    // Without lentChunks the source is a plain byte stream, never a lent window.
    for await (const chunk of source.bytes as AsyncIterable<Buffer>) yield chunk;
    await source.finished();
  } catch (error) {
    if (signal?.aborted || error instanceof UndockerError) throw error;
    await verifyLayerDigests(layer); // a digest mismatch is the better answer, where there is one
    throw new BadArchiveError(
      `${layer.where}: cannot read ${source.compression} data: ${(error as Error).message}`,
      error,
    );
  } finally {
    await source.close();
  }
  digests.verify(source.compression);
}

/** hashAll hashes everything a stream yields, or returns undefined if it cannot be read to the end. */
async function hashAll(open: () => Promise<AsyncIterable<Buffer>>, hash: ByteHash): Promise<ByteHash | undefined> {
  try {
    for await (const chunk of await open()) hash.update(chunk);
    return hash;
  } catch {
    return undefined;
  }
}

/** verifyLayerDigests re-reads a layer and throws if its stored or uncompressed bytes do not match their digests. */
async function verifyLayerDigests(layer: Layer): Promise<void> {
  if (layer.digest !== undefined) {
    verify(layer.where, 'stored', layer.digest, await hashAll(async () => layer.open(), hasherFor(layer.digest)));
  }
  if (layer.diffId !== undefined) {
    const decoded = async (): Promise<AsyncIterable<Buffer>> => {
      const { head, stream } = await peekStream(layer.open(), MAGIC_BYTES);
      const decoder = decoderFor(detectCompression(head), layer.where);
      return decoder === undefined ? stream : pipeline(stream, decoder, () => undefined);
    };
    verify(layer.where, 'uncompressed', layer.diffId, await hashAll(decoded, hasherFor(layer.diffId)));
  }
}

function verify(where: string, what: string, expected: string | undefined, hash: ByteHash | undefined): void {
  if (expected === undefined || hash === undefined) return;
  const actual = `${expected.slice(0, expected.indexOf(':'))}:${hash.digest('hex')}`;
  if (actual !== expected) throw new DigestMismatchError(`${where}: ${what} content`, expected, actual);
}
