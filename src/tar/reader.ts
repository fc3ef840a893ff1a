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

/** TarItem is an entry with its data and its position in the stream. */
export interface TarItem {
  entry: TarEntry;
  /** ordinal numbers the entries of one stream from 0, after extension headers are folded in. */
  ordinal: number;
  /** offset is where the entry's data starts in the stream. */
  offset: number;
  /** body yields the file's data; it is empty for other entry types. */
  body: AsyncIterable<Buffer>;
  /** fill, in place of body, puts a file's data into the consumer's memory: for files read positionally (LentFileBytes). */
  fill?: (filler: Filler) => Promise<void>;
}

/** TarReadOptions bounds what a hostile archive can make the reader hold in memory. */
export interface TarReadOptions {
  /** where, for messages: "layer sha256:… of nginx.tar" */
  where: string;
  /** largest PAX or GNU long-name header accepted, in bytes (default 1 MiB) */
  maxExtensionBytes?: number;
}

const EMPTY_BODY: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };

/** Bytes is what the reader needs of its input: a stream (ByteReader) or a file (FileBytes, LentFileBytes). */
type Bytes = ByteReader | FileBytes | LentFileBytes;

/** readTar parses a tar stream, or a file read positionally, into entries. */
export async function* readTar(source: AsyncIterable<Buffer> | FileBytes | LentFileBytes, options: TarReadOptions): AsyncGenerator<TarItem> {
  const reader: Bytes = Symbol.asyncIterator in source ? new ByteReader(source) : source;
  const maxExtension = options.maxExtensionBytes ?? 1024 * 1024;
  const globals = new Map<string, Buffer>();
  let locals = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let ordinal = 0;
  const fail = (what: string, cause?: unknown): never => {
    throw new BadArchiveError(`reading ${options.where}: ${what}`, cause);
  };
  try {
    for (;;) {
      const offset = reader.position;
      const block = await reader.read(BLOCK);
      if (block === undefined) break; // end of data at a block boundary: accepted, as Go's reader does
      if (isZeroBlock(block)) break;
      const raw = decodeHeader(block);
      if (raw === undefined) {
        fail(offset === 0 ? 'not a tar archive' : `corrupt tar header at byte ${offset}`);
        return;
      }
      const extension = await readExtension(reader, raw, maxExtension, fail);
      if (extension !== undefined) {
        if (raw.typeflag === 'x') locals = mergeInto(locals, extension.pax);
        if (raw.typeflag === 'g') mergeInto(globals, extension.pax);
        if (raw.typeflag === 'L') longName = extension.text;
        if (raw.typeflag === 'K') longLink = extension.text;
        continue;
      }
      const entry = toEntry(raw, globals, locals, longName, longLink, fail);
      locals = new Map();
      longName = longLink = undefined;
      // Hardlinks and the rest carry no data of their own even when the size field says so.
      const dataSize = entry.type === 'file' ? entry.size : raw.typeflag === 'D' ? raw.size : 0;
      if (entry.type !== 'file') entry.size = 0;
      const dataEnd = reader.position + dataSize;
      const body = entry.type === 'file' ? guardTruncation(reader.take(dataSize), fail) : EMPTY_BODY;
      const item: TarItem = { entry, ordinal: ordinal++, offset: dataEnd - dataSize, body };
      if (entry.type === 'file' && 'takeInto' in reader) {
        const source = reader;
        item.fill = async (filler) => source.takeInto(dataSize, filler).catch((error: unknown) => failOnTruncation(error, fail));
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

/** failOnTruncation turns a truncation met while the caller reads a body into the reader's error, and rethrows the rest. */
function failOnTruncation(error: unknown, fail: (what: string, cause?: unknown) => never): never {
  if (error instanceof TruncatedError) fail(`truncated archive: data ends at byte ${error.position}`, error);
  throw error;
}

/** guardTruncation reports a truncation met while the caller reads a body as the reader's error. */
async function* guardTruncation(body: AsyncGenerator<Buffer>, fail: (what: string, cause?: unknown) => never): AsyncGenerator<Buffer> {
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

async function readExtension(
  reader: Bytes, raw: RawHeader, max: number, fail: (what: string) => never,
): Promise<{ pax: Map<string, Buffer>; text: string } | undefined> {
  if (!['x', 'g', 'L', 'K'].includes(raw.typeflag)) return undefined;
  if (raw.size > max) fail(`extended header of ${raw.size} bytes is larger than the ${max}-byte limit`);
  const data = raw.size === 0 ? Buffer.alloc(0) : await reader.read(raw.size);
  if (data === undefined || data.length < raw.size) throw new TruncatedError(reader.position);
  await reader.skip(padding(raw.size));
  if (raw.typeflag === 'L' || raw.typeflag === 'K') {
    const end = data.indexOf(0);
    return { pax: new Map(), text: data.toString('latin1', 0, end === -1 ? data.length : end) };
  }
  const pax = parsePax(data);
  if (pax === undefined) fail('malformed PAX extended header');
  return { pax: pax as Map<string, Buffer>, text: '' };
}

function toEntry(
  raw: RawHeader, globals: Map<string, Buffer>, locals: Map<string, Buffer>,
  longName: string | undefined, longLink: string | undefined, fail: (what: string) => never,
): TarEntry {
  const name = longName ?? raw.name;
  const type = entryTypeOf(raw.typeflag, name);
  if (type === undefined) {
    const flag = raw.typeflag === 'S' ? 'GNU sparse file' : `type flag '${raw.typeflag}'`;
    throw new UndockerError('UNDOCKER_UNSUPPORTED', `entry ${toDisplay(name)}: unsupported ${flag}`);
  }
  const entry: TarEntry = {
    path: name, type, mode: raw.mode, uid: raw.uid, gid: raw.gid, uname: raw.uname, gname: raw.gname,
    size: raw.size, mtime: raw.mtime, linkname: longLink ?? raw.linkname,
    devmajor: raw.devmajor, devminor: raw.devminor, xattrs: new Map(),
  };
  const problem = applyPax(entry, globals, locals);
  if (problem !== undefined) fail(`entry ${toDisplay(entry.path)}: ${problem}`);
  return entry;
}
