/**
 * Streaming tar reader: folds PAX, GNU long-name and global headers into TarEntry values and
 * hands out each file's data as an async iterable. Data not consumed by the caller is skipped,
 * and the stream is read to its very end so a digest over it covers every byte.
 */
import { BadArchiveError, UndockerError } from '../errors.js';
import { ByteReader, TruncatedError } from '../stream/byte-reader.js';
import type { FileBytes } from '../stream/file-bytes.js';
import type { Filler, LentFileBytes } from '../stream/lent-file-bytes.js';
import { type TarEntry, toDisplay } from './entry.js';
import { BLOCK, decodeHeader, entryTypeOf, isZeroBlock, padding, parsePax, type RawHeader } from './header.js';
import { applyPax } from './pax.js';
import { expandSparse, mapFromData, oldGnuSparse, paxSparse, type SparseLayout, storedBytes } from './sparse.js';

/** TarItem is an entry with its data and its position in the stream. */
export interface TarItem {
  entry: TarEntry;
  /** ordinal numbers the entries of one stream from 0, after extension headers are folded in. */
  ordinal: number;
  /** offset is where the entry's data starts, counted from the start of the tar, wherever in a file that is. */
  offset: number;
  /**
   * header is where the entry's first header block (its own extension headers included) starts, counted as `offset`
   * is; undefined after a global PAX header, which an entry read again from there would miss (entry-at.ts).
   */
  header: number | undefined;
  /** body yields the file's data; it is empty for other entry types. */
  body: AsyncIterable<Buffer>;
  /**
   * fill, in place of body, puts a file's data into the consumer's memory: for files read positionally (LentFileBytes).
   */
  fill?: (filler: Filler) => Promise<void>;
  /** sparse, for a GNU sparse file, is its layout and stored data: what body expands with zeros in the holes. */
  sparse?: { layout: SparseLayout; data: AsyncIterable<Buffer> };
}

/** TarReadOptions bounds what a hostile archive can make the reader hold in memory. */
export interface TarReadOptions {
  /** where, for messages: "layer sha256:… of nginx.tar" */
  where: string;
  /** largest PAX or GNU long-name header accepted, in bytes (default 1 MiB) */
  maxExtensionBytes?: number;
}

/** MAX_EXTENSION_BYTES is the largest PAX or GNU long-name header taken unless told otherwise. */
export const MAX_EXTENSION_BYTES = 1024 * 1024;

/** EXTENSIONS are the type flags of headers that extend the next entry (PAX, GNU long names) or all (PAX global). */
const EXTENSIONS = new Set(['x', 'g', 'L', 'K']);

const EMPTY_BODY: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };

/** Bytes is what the reader needs of its input: a stream (ByteReader) or a file (FileBytes, LentFileBytes). */
type Bytes = ByteReader | FileBytes | LentFileBytes;

/** readTar parses a tar stream, or a file read positionally, into entries. */
export async function* readTar(
  source: AsyncIterable<Buffer> | FileBytes | LentFileBytes,
  options: TarReadOptions,
): AsyncGenerator<TarItem> {
  const reader: Bytes = Symbol.asyncIterator in source ? new ByteReader(source) : source;
  const maxExtension = options.maxExtensionBytes ?? MAX_EXTENSION_BYTES;
  const globals = new Map<string, Buffer>();
  let locals = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let ordinal = 0;
  const origin = reader.position;
  /** first is where the current entry's first header block is, its extension headers counted. */
  let first = -1;
  const fail = (what: string, cause?: unknown): never => {
    throw new BadArchiveError(`reading ${options.where}: ${what}`, cause);
  };
  try {
    for (;;) {
      const offset = reader.position;
      if (first < 0) first = offset;
      // A header is parsed before anything else is read: a file lends it from its window, no copy and no wait.
      const block = 'lend' in reader ? reader.lend(BLOCK) : await reader.read(BLOCK);
      if (block === undefined) break; // end of data at a block boundary: accepted, as Go's reader does
      if (isZeroBlock(block)) break;
      const raw = decodeHeader(block);
      if (raw === undefined) {
        fail(offset === 0 ? 'not a tar archive' : `corrupt tar header at byte ${offset}`);
        return;
      }
      // Most entries have no extension and are not sparse: neither async step is awaited for them.
      const extension = EXTENSIONS.has(raw.typeflag) ? await readExtension(reader, raw, maxExtension, fail) : undefined;
      if (extension !== undefined) {
        if (raw.typeflag === 'x') locals = mergeInto(locals, extension.pax);
        if (raw.typeflag === 'g') {
          mergeInto(globals, extension.pax);
          first = -1; // an entry read again starts after it (and is not, if it held records: `header` below)
        }
        if (raw.typeflag === 'L') longName = extension.text;
        if (raw.typeflag === 'K') longLink = extension.text;
        continue;
      }
      const entry = toEntry(raw, globals, locals, longName, longLink, fail);
      const sparse =
        raw.typeflag === 'S' || locals.size > 0 ? await sparseOf(raw, block, locals, reader, entry, fail) : undefined;
      if (locals.size > 0) locals = new Map();
      longName = longLink = undefined;
      // Hardlinks and the rest carry no data of their own even when the size field says so.
      const dataSize = entry.type !== 'file' ? (raw.typeflag === 'D' ? raw.size : 0) : (sparse?.stored ?? entry.size);
      if (sparse !== undefined) entry.size = sparse.layout.realSize;
      if (entry.type !== 'file') entry.size = 0;
      const dataEnd = reader.position + dataSize;
      const data = entry.type === 'file' ? guardTruncation(reader.take(dataSize), fail) : EMPTY_BODY;
      const body = sparse === undefined ? data : expandSparse(data, sparse.layout);
      const header = globals.size === 0 ? first - origin : undefined;
      first = -1;
      const item: TarItem = { entry, ordinal: ordinal++, offset: dataEnd - dataSize - origin, header, body };
      if (sparse !== undefined) item.sparse = { layout: sparse.layout, data };
      else if (entry.type === 'file' && 'takeInto' in reader) {
        const source = reader;
        item.fill = async (filler) =>
          source.takeInto(dataSize, filler).catch((error: unknown) => failOnTruncation(error, fail));
      }
      yield item;
      if (reader.position > dataEnd) fail(`entry ${toDisplay(entry.path)} was read past its end`);
      await reader.skip(dataEnd - reader.position + padding(dataSize));
    }
    await reader.drain();
  } catch (error) {
    if (error instanceof TruncatedError) fail(`truncated archive: data ends at byte ${error.position}`, error);
    throw error;
  }
}

/**
 * failOnTruncation turns a truncation met while the caller reads a body into the reader's error, and rethrows the rest.
 */
function failOnTruncation(error: unknown, fail: (what: string, cause?: unknown) => never): never {
  if (error instanceof TruncatedError) fail(`truncated archive: data ends at byte ${error.position}`, error);
  throw error;
}

/** guardTruncation reports a truncation met while the caller reads a body as the reader's error. */
async function* guardTruncation(
  body: AsyncGenerator<Buffer>,
  fail: (what: string, cause?: unknown) => never,
): AsyncGenerator<Buffer> {
  try {
    yield* body;
  } catch (error) {
    failOnTruncation(error, fail);
  }
}

function mergeInto(target: Map<string, Buffer>, source: Map<string, Buffer>): Map<string, Buffer> {
  for (const [key, value] of source) target.set(key, value);
  return target;
}

/** Extension is what an extension header holds: PAX records, or a GNU long name. */
export interface Extension {
  pax: Map<string, Buffer>;
  text: string;
}

/** readExtension reads the data of an extension header. */
async function readExtension(
  reader: Bytes,
  raw: RawHeader,
  max: number,
  fail: (what: string) => never,
): Promise<Extension> {
  if (raw.size > max) fail(`extended header of ${raw.size} bytes is larger than the ${max}-byte limit`);
  const data = raw.size === 0 ? Buffer.alloc(0) : await reader.read(raw.size);
  if (data === undefined || data.length < raw.size) throw new TruncatedError(reader.position);
  await reader.skip(padding(raw.size));
  return decodeExtension(raw, data, fail);
}

/** decodeExtension parses an extension header's data. */
export function decodeExtension(raw: RawHeader, data: Buffer, fail: (what: string) => never): Extension {
  if (raw.typeflag === 'L' || raw.typeflag === 'K') {
    const end = data.indexOf(0);
    return { pax: new Map(), text: data.toString('latin1', 0, end === -1 ? data.length : end) };
  }
  const pax = parsePax(data);
  if (pax === undefined) fail('malformed PAX extended header');
  return { pax: pax as Map<string, Buffer>, text: '' };
}

/** toEntry makes the entry of a header, its extensions applied. */
export function toEntry(
  raw: RawHeader,
  globals: ReadonlyMap<string, Buffer>,
  locals: ReadonlyMap<string, Buffer>,
  longName: string | undefined,
  longLink: string | undefined,
  fail: (what: string) => never,
): TarEntry {
  const entry: TarEntry = {
    path: longName ?? raw.name,
    type: 'file',
    mode: raw.mode,
    uid: raw.uid,
    gid: raw.gid,
    uname: raw.uname,
    gname: raw.gname,
    size: raw.size,
    mtime: raw.mtime,
    linkname: longLink ?? raw.linkname,
    devmajor: raw.devmajor,
    devminor: raw.devminor,
    xattrs: new Map(),
  };
  const problem = applyPax(entry, globals, locals);
  if (problem !== undefined) fail(`entry ${toDisplay(entry.path)}: ${problem}`);
  // The type is decided on the final name: a ustar name cut at 100 bytes may end in '/'.
  const type = entryTypeOf(raw.typeflag, entry.path);
  if (type === undefined) {
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `entry ${toDisplay(entry.path)}: unsupported type flag '${raw.typeflag}'`,
    );
  }
  entry.type = type;
  return entry;
}

/** SparseData is a sparse file's layout and how many bytes of stored data follow. */
interface SparseData {
  layout: SparseLayout;
  stored: number;
}

/**
 * sparseOf reads a GNU sparse file's map (old GNU header and its extension blocks, PAX records,
 * or the PAX 1.0 map that opens the data) and renames the entry to its real name.
 */
async function sparseOf(
  raw: RawHeader,
  header: Buffer,
  locals: Map<string, Buffer>,
  reader: Bytes,
  entry: TarEntry,
  fail: (what: string) => never,
): Promise<SparseData | undefined> {
  if (entry.type !== 'file') return undefined;
  const nextBlock = async (): Promise<Buffer> => {
    const block = await reader.read(BLOCK);
    if (block === undefined) throw new TruncatedError(reader.position);
    return Buffer.from(block); // the reader's window is reused
  };
  let stored = entry.size;
  let layout: SparseLayout | string;
  if (raw.typeflag === 'S') layout = await oldGnuSparse(header, nextBlock);
  else {
    const pax = paxSparse(locals);
    if (pax === undefined) return undefined;
    if (typeof pax !== 'string' && pax.name !== undefined) entry.path = pax.name;
    if (typeof pax === 'string') layout = pax;
    else if (pax.kind === 'layout') layout = pax.layout;
    else {
      const map = await mapFromData(pax.realSize, nextBlock);
      if (typeof map !== 'string') stored -= map.bytes;
      layout = typeof map === 'string' ? map : map.layout;
    }
  }
  if (typeof layout === 'string') return fail(`entry ${toDisplay(entry.path)}: ${layout}`);
  if (storedBytes(layout) !== stored)
    fail(
      `entry ${toDisplay(entry.path)}: sparse map holds ${storedBytes(layout)} bytes but the entry stores ${stored}`,
    );
  return { layout, stored };
}
