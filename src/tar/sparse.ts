/**
 * GNU sparse files: the stored data holds only the regions a map names, and the file is
 * `realSize` bytes with holes between them. Three encodings are read, as GNU tar writes them
 * (GNU tar manual, "Storing Sparse Files"): the old GNU header (typeflag `S`, map in the header
 * and in extension blocks), PAX 0.0/0.1 (`GNU.sparse.offset`/`numbytes` records or
 * `GNU.sparse.map`) and PAX 1.0 (`GNU.sparse.major=1`, the map at the start of the data).
 */
import { BLOCK, readNumber } from './header.js';

/** SparseRegion is one stretch of stored data and where it lies in the file. */
export interface SparseRegion {
  offset: number;
  length: number;
}

/** SparseLayout is how a sparse file's stored data maps onto the file. */
export interface SparseLayout {
  regions: SparseRegion[];
  realSize: number;
}

/** MAX_SPARSE_REGIONS bounds a map, so a hostile one cannot make the reader hold gigabytes. */
export const MAX_SPARSE_REGIONS = 1_000_000;

/** readRegions reads `count` (offset, numbytes) pairs of 24 bytes each, stopping at an empty one. */
function readRegions(block: Buffer, start: number, count: number, into: SparseRegion[]): string | undefined {
  for (let i = 0; i < count; i++) {
    const at = start + i * 24;
    if (block[at] === 0) break;
    const offset = readNumber(block, at, 12);
    const length = readNumber(block, at + 12, 12);
    if (!Number.isFinite(offset) || !Number.isFinite(length)) return 'bad sparse map in an old GNU header';
    into.push({ offset, length });
  }
  return into.length > MAX_SPARSE_REGIONS ? 'sparse map too large' : undefined;
}

/** OLD_GNU holds the offsets of the sparse fields in an old GNU header and its extension blocks. */
const OLD_GNU = { regions: 386, count: 4, extended: 482, realSize: 483, extCount: 21, extExtended: 504 };

/**
 * oldGnuSparse reads the map of an old GNU sparse header (typeflag `S`): four regions in the
 * header, then 21 per extension block for as long as the "is extended" byte is set.
 */
export async function oldGnuSparse(header: Buffer, nextBlock: () => Promise<Buffer>): Promise<SparseLayout | string> {
  // Everything is taken from the header before the next block is read: it may reuse the header's memory.
  const realSize = readNumber(header, OLD_GNU.realSize, 12);
  const regions: SparseRegion[] = [];
  let problem = readRegions(header, OLD_GNU.regions, OLD_GNU.count, regions);
  let extended = header[OLD_GNU.extended] !== 0;
  while (problem === undefined && extended) {
    const block = await nextBlock();
    problem = readRegions(block, 0, OLD_GNU.extCount, regions);
    extended = block[OLD_GNU.extExtended] !== 0;
  }
  if (problem !== undefined) return problem;
  if (!Number.isFinite(realSize)) return 'bad real size in an old GNU sparse header';
  return checked({ regions, realSize });
}

function numbersOf(value: Buffer | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const text = value.toString('latin1');
  if (text === '') return [];
  const parts = text.split(',');
  return parts.every((part) => /^\d+$/.test(part)) ? parts.map(Number) : undefined;
}

function pairs(numbers: number[]): SparseRegion[] {
  const regions: SparseRegion[] = [];
  for (let i = 0; i + 1 < numbers.length; i += 2)
    regions.push({ offset: numbers[i] as number, length: numbers[i + 1] as number });
  return regions;
}

/** PaxSparse is what the PAX records say of a sparse file: its layout, or that the map opens the data (1.0). */
export type PaxSparse =
  { kind: 'layout'; layout: SparseLayout; name?: string } | { kind: 'map-in-data'; realSize: number; name?: string };

/** paxSparse reads GNU sparse PAX records; undefined when the entry is not sparse, a string when they are bad. */
export function paxSparse(records: Map<string, Buffer>): PaxSparse | string | undefined {
  const get = (key: string): Buffer | undefined => records.get(`GNU.sparse.${key}`);
  const name = get('name')?.toString('latin1');
  const named = name === undefined ? {} : { name };
  const major = get('major')?.toString('latin1');
  if (major !== undefined) {
    if (major !== '1') return `unsupported GNU sparse format ${major}.${get('minor')?.toString('latin1') ?? '?'}`;
    const [realSize] = numbersOf(get('realsize')) ?? [];
    return realSize === undefined
      ? 'GNU sparse 1.0 entry without GNU.sparse.realsize'
      : { kind: 'map-in-data', realSize, ...named };
  }
  const [realSize] = numbersOf(get('size')) ?? [];
  if (realSize === undefined) return undefined;
  const map = numbersOf(get('map'));
  if (map !== undefined) return map.length % 2 === 0 ? checkedPax(pairs(map), realSize, named) : 'odd GNU.sparse.map';
  const offsets = numbersOf(get('offset')) ?? [];
  const lengths = numbersOf(get('numbytes')) ?? [];
  if (offsets.length !== lengths.length) return 'GNU.sparse.offset and GNU.sparse.numbytes do not pair up';
  return checkedPax(
    offsets.map((offset, i) => ({ offset, length: lengths[i] as number })),
    realSize,
    named,
  );
}

function checkedPax(regions: SparseRegion[], realSize: number, named: { name?: string }): PaxSparse | string {
  const layout = checked({ regions, realSize });
  return typeof layout === 'string' ? layout : { kind: 'layout', layout, ...named };
}

/**
 * mapFromData parses the PAX 1.0 map that opens a sparse file's data: decimal numbers, one a
 * line (the count, then offset and length pairs), padded to a block. It reads block by block
 * and returns the layout and how many bytes of data the map took.
 */
export async function mapFromData(
  realSize: number,
  nextBlock: () => Promise<Buffer>,
): Promise<{ layout: SparseLayout; bytes: number } | string> {
  const numbers: number[] = [];
  let pending = '';
  let bytes = 0;
  let count: number | undefined;
  const complete = (): boolean => count !== undefined && numbers.length === 1 + count * 2;
  while (!complete()) {
    const block = await nextBlock();
    bytes += BLOCK;
    const lines = (pending + block.toString('latin1')).split('\n');
    pending = lines.pop() as string;
    for (const line of lines) {
      if (!/^\d+$/.test(line)) return 'bad GNU sparse 1.0 map';
      numbers.push(Number(line));
      count ??= numbers[0];
      if (count !== undefined && count > MAX_SPARSE_REGIONS) return 'sparse map too large';
      if (complete()) break; // the rest of the block is padding
    }
    if (!complete() && pending.length > 32) return 'bad GNU sparse 1.0 map';
  }
  const layout = checked({ regions: pairs(numbers.slice(1)), realSize });
  return typeof layout === 'string' ? layout : { layout, bytes };
}

/** checked refuses a map whose regions overlap, go backwards or run past the real size. */
function checked(layout: SparseLayout): SparseLayout | string {
  let end = 0;
  for (const { offset, length } of layout.regions) {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      length < 0 ||
      offset < end ||
      offset + length > layout.realSize
    ) {
      return 'sparse map regions overlap or run past the file size';
    }
    end = offset + length;
  }
  return Number.isSafeInteger(layout.realSize) && layout.realSize >= 0 ? layout : 'bad sparse file size';
}

/** storedBytes is how much data a layout's regions hold. */
export function storedBytes(layout: SparseLayout): number {
  return layout.regions.reduce((sum, region) => sum + region.length, 0);
}

/**
 * sparsePieces yields a sparse file's content in order: stored data as buffers, holes as their
 * length in bytes, so a writer can leave them unwritten.
 */
export async function* sparsePieces(
  data: AsyncIterable<Buffer>,
  layout: SparseLayout,
): AsyncGenerator<Buffer | number> {
  let position = 0;
  let region = 0;
  let leftInRegion = 0;
  // Moves to the next region that holds data, and tells the hole before it.
  const nextRegion = (): number => {
    const start = position;
    while (leftInRegion === 0 && region < layout.regions.length) {
      const { offset, length } = layout.regions[region++] as SparseRegion;
      position = offset;
      leftInRegion = length;
    }
    return position - start;
  };
  for await (let chunk of data) {
    while (chunk.length > 0) {
      if (leftInRegion === 0) {
        const hole = nextRegion();
        if (hole > 0) yield hole;
        if (leftInRegion === 0) return; // more data than the map holds: the reader's size check ends it
      }
      const part = chunk.length <= leftInRegion ? chunk : chunk.subarray(0, leftInRegion);
      chunk = chunk.subarray(part.length);
      leftInRegion -= part.length;
      position += part.length;
      yield part;
    }
  }
  const hole = nextRegion() + layout.realSize - position;
  if (hole > 0) yield hole;
}

const ZEROS = Buffer.alloc(64 * 1024);

/** expandSparse yields a sparse file's whole content: its stored regions with zeros in the holes. */
export async function* expandSparse(data: AsyncIterable<Buffer>, layout: SparseLayout): AsyncGenerator<Buffer> {
  for await (const piece of sparsePieces(data, layout)) {
    if (typeof piece !== 'number') yield piece;
    else for (let left = piece; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
  }
}
