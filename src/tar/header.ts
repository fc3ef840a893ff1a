/**
 * Encoding and decoding of single tar header blocks (POSIX ustar, GNU and PAX extensions).
 * Written here rather than taken from tar-stream because layers carry binary PAX values
 * (`SCHILY.xattr.security.capability`) that must survive byte for byte.
 */
import type { EntryType } from './entry.js';

/** BLOCK is the tar block size. */
export const BLOCK = 512;

/** RawHeader is one header block decoded, before extended headers are applied. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

/** TYPEFLAGS maps entry types to their ustar typeflag. */
export const TYPEFLAGS: Record<EntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
};

/** entryTypeOf maps a typeflag to an entry type, or undefined for extension and unknown flags. */
export function entryTypeOf(typeflag: string, name: string): EntryType | undefined {
  switch (typeflag) {
    case '0':
    case '\0':
      // Pre-POSIX archives mark directories only by a trailing slash: of the final name, after
      // PAX and GNU long names, never of the ustar field they replace (Python cuts it at 100 bytes).
      return name.endsWith('/') ? 'directory' : 'file';
    case '7':
    case 'S':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '5':
    case 'D':
      return 'directory';
    case '6':
      return 'fifo';
    default:
      return undefined;
  }
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  const stop = end === -1 || end > offset + length ? offset + length : end;
  return block.toString('latin1', offset, stop);
}

/** readNumber decodes an octal or GNU base-256 numeric field; NaN when it is neither. */
export function readNumber(block: Buffer, offset: number, length: number): number {
  const first = block[offset] ?? 0;
  if (first & 0x80) {
    // Base-256: big-endian two's complement with the top bit as marker.
    let value = first & 0x40 ? first - 0x100 : first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (block[offset + i] ?? 0);
    return value;
  }
  const end = offset + length;
  let i = offset;
  while (i < end && block[i] === 0x20) i++; // some writers right-align with spaces
  let value = 0;
  for (; i < end; i++) {
    const c = block[i] as number;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return NaN;
    value = value * 8 + (c - 0x30);
  }
  return value;
}

/** isZeroBlock tells whether a block is all zero bytes (an end-of-archive marker). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** A view of the last header's memory as words: headers are read one after another from one reused window. */
let wordsOf: ArrayBufferLike | undefined;
let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/**
 * unsignedSum is the header's byte sum with the checksum field as spaces. Four bytes at a time where the block is
 * word-aligned (it is, in a window): two bytes summed per 16-bit half, which 126 words cannot overflow (126 * 510).
 */
function unsignedSum(block: Buffer): number {
  if ((block.byteOffset & 3) !== 0 || block.length < BLOCK) {
    let sum = 8 * 0x20;
    for (let i = 0; i < 148; i++) sum += block[i] as number;
    for (let i = 156; i < BLOCK; i++) sum += block[i] as number;
    return sum;
  }
  if (wordsOf !== block.buffer) {
    wordsOf = block.buffer;
    words = new Uint32Array(block.buffer, 0, block.buffer.byteLength >>> 2);
  }
  const base = block.byteOffset >>> 2;
  let halves = 0;
  for (let i = base; i < base + 37; i++) {
    const word = words[i] as number;
    halves += (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff);
  }
  for (let i = base + 39; i < base + BLOCK / 4; i++) {
    const word = words[i] as number;
    halves += (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff);
  }
  return 8 * 0x20 + (halves & 0xffff) + (halves >>> 16);
}

/** checksumOk verifies a header's checksum, accepting the signed sums old tars wrote. */
function checksumOk(block: Buffer): boolean {
  const stored = readNumber(block, 148, 8);
  if (stored === unsignedSum(block)) return true;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const byte = block[i] as number;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === signed;
}

/** Owner names repeat on nearly every entry; one copy of each keeps a large tree small. */
const internedNames = new Map<string, string>();
function intern(name: string): string {
  const known = internedNames.get(name);
  if (known !== undefined) return known;
  if (internedNames.size < 4096) internedNames.set(name, name);
  return name;
}

/** headerName is the name field of a header block, with the ustar prefix where there is one. */
export function headerName(block: Buffer): string {
  const name = readString(block, 0, 100);
  // Only POSIX ustar has the prefix field; GNU tar uses those bytes for times.
  if (block.toString('latin1', 257, 263) !== 'ustar\0') return name;
  const prefix = readString(block, 345, 155);
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** decodeHeader decodes one header block, or returns undefined when the checksum is wrong. */
export function decodeHeader(block: Buffer): RawHeader | undefined {
  if (block.length < BLOCK || !checksumOk(block)) return undefined;
  const header: RawHeader = {
    name: headerName(block),
    mode: readNumber(block, 100, 8) & 0o7777,
    uid: readNumber(block, 108, 8),
    gid: readNumber(block, 116, 8),
    size: readNumber(block, 124, 12),
    mtime: readNumber(block, 136, 12),
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: readString(block, 157, 100),
    uname: intern(readString(block, 265, 32)),
    gname: intern(readString(block, 297, 32)),
    devmajor: readNumber(block, 329, 8),
    devminor: readNumber(block, 337, 8),
  };
  if ([header.size, header.uid, header.gid, header.mtime].some(Number.isNaN) || header.size < 0) {
    return undefined;
  }
  return header;
}

/** PAX_SPARSE_REPEATED are the keys GNU sparse 0.0 repeats once per region; parsePax joins their values with commas. */
const PAX_SPARSE_REPEATED = new Set(['GNU.sparse.offset', 'GNU.sparse.numbytes']);

/** parsePax decodes PAX extended header records ("LEN key=value\n") with values as raw bytes. */
export function parsePax(data: Buffer): Map<string, Buffer> | undefined {
  const records = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record area with NULs
    const space = data.indexOf(0x20, pos);
    if (space === -1) return undefined;
    const length = Number(data.toString('latin1', pos, space));
    if (!Number.isInteger(length) || length <= space - pos + 1 || pos + length > data.length) return undefined;
    const record = data.subarray(space + 1, pos + length - 1);
    const eq = record.indexOf(0x3d);
    if (eq === -1 || data[pos + length - 1] !== 0x0a) return undefined;
    const key = record.toString('utf8', 0, eq);
    const value = Buffer.from(record.subarray(eq + 1));
    const earlier = records.get(key);
    // GNU sparse 0.0 repeats its offset and numbytes records once per region: keep them all.
    records.set(
      key,
      earlier !== undefined && PAX_SPARSE_REPEATED.has(key) ? Buffer.concat([earlier, Buffer.from(','), value]) : value,
    );
    pos += length;
  }
  return records;
}

function writeString(block: Buffer, value: string, offset: number, length: number): void {
  block.write(value, offset, Math.min(length, Buffer.byteLength(value, 'latin1')), 'latin1');
}

/** OCTAL_LIMIT[length] is the first value an octal field of `length` bytes (with its terminator) cannot hold. */
const OCTAL_LIMIT = Array.from({ length: 13 }, (_, length) => 8 ** Math.max(0, length - 1));

/** fitsOctal tells whether a value fits an octal field of `length` bytes (with its terminator). */
export function fitsOctal(value: number, length: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < (OCTAL_LIMIT[length] ?? 8 ** (length - 1));
}

function writeNumber(block: Buffer, value: number, offset: number, length: number): void {
  if (fitsOctal(value, length)) {
    // Digit by digit, zero-padded: no string per field (a header has seven of them).
    let rest = value;
    for (let i = offset + length - 2; i >= offset; i--) {
      block[i] = 0x30 + (rest % 8);
      rest = Math.floor(rest / 8);
    }
    block[offset + length - 1] = 0;
    return;
  }
  // GNU base-256 for values too large for octal (files over 8 GiB, big ids).
  let rest = Math.max(0, Math.trunc(value));
  for (let i = length - 1; i > 0; i--) {
    block[offset + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  block[offset] = 0x80;
}

/** encodeHeader writes one ustar header block; fields that do not fit are the caller's PAX job. */
export function encodeHeader(header: RawHeader): Buffer {
  // From the shared pool, zeroed by hand: Buffer.alloc of 512 bytes is an allocation of its own.
  const block = Buffer.allocUnsafe(BLOCK).fill(0);
  let name = header.name;
  if (Buffer.byteLength(name, 'latin1') > 100) {
    // Split at a slash into prefix (155) and name (100) when possible.
    const cut = name.lastIndexOf('/', 155);
    if (cut > 0 && name.length - cut - 1 <= 100 && name.length - cut - 1 > 0) {
      writeString(block, name.slice(0, cut), 345, 155);
      name = name.slice(cut + 1);
    }
  }
  writeString(block, name, 0, 100);
  writeNumber(block, header.mode & 0o7777, 100, 8);
  writeNumber(block, header.uid, 108, 8);
  writeNumber(block, header.gid, 116, 8);
  writeNumber(block, header.size, 124, 12);
  writeNumber(block, header.mtime, 136, 12);
  block.write(header.typeflag, 156, 1, 'latin1');
  writeString(block, header.linkname, 157, 100);
  block.write('ustar\x0000', 257, 8, 'latin1');
  writeString(block, header.uname, 265, 32);
  writeString(block, header.gname, 297, 32);
  writeNumber(block, header.devmajor, 329, 8);
  writeNumber(block, header.devminor, 337, 8);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i] as number;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

/** encodePax builds the data of a PAX extended header from raw-byte records. */
export function encodePax(records: Map<string, Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
    // The length field counts itself, so grow it until the total is stable.
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    parts.push(Buffer.from(String(length), 'latin1'), body);
  }
  return Buffer.concat(parts);
}

/** padding returns how many zero bytes follow `size` bytes of data to fill the last block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
