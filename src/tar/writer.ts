/**
 * Tar writing: header blocks for an entry (with a PAX header when ustar cannot hold a field)
 * and the padding and end-of-archive blocks. Callers stream the data between them.
 */
import type { TarEntry } from './entry.js';
import { BLOCK, encodeHeader, encodePax, fitsOctal, padding, TYPEFLAGS } from './header.js';
import { SCHILY_XATTR } from './pax.js';

/** EncodedEntry is what the encoder reads of an entry: it changes nothing, so a shared xattrs map may be lent. */
export type EncodedEntry = Omit<TarEntry, 'xattrs'> & { xattrs: ReadonlyMap<string, Buffer> };

/** END_OF_ARCHIVE is the two zero blocks that close a tar stream. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

function fitsName(path: string): boolean {
  if (path.length <= 100) return true;
  const cut = path.lastIndexOf('/', 155);
  return cut > 0 && path.length - cut - 1 <= 100 && path.length - cut - 1 > 0;
}

/**
 * paxRecordsFor lists the PAX records an entry named `path` needs because ustar cannot hold
 * them; undefined when it needs none, as most do: a flatten encodes a header per entry, and
 * an empty map per entry was garbage for nothing.
 */
function paxRecordsFor(entry: EncodedEntry, path: string): Map<string, Buffer> | undefined {
  let records: Map<string, Buffer> | undefined;
  const add = (key: string, value: Buffer): void => {
    (records ??= new Map()).set(key, value);
  };
  const raw = (text: string): Buffer => Buffer.from(text, 'latin1');
  if (!fitsName(path)) add('path', raw(path));
  if (entry.linkname.length > 100) add('linkpath', raw(entry.linkname));
  if (!fitsOctal(entry.size, 12)) add('size', raw(String(entry.size)));
  if (!fitsOctal(entry.uid, 8)) add('uid', raw(String(entry.uid)));
  if (!fitsOctal(entry.gid, 8)) add('gid', raw(String(entry.gid)));
  if (entry.uname.length > 32) add('uname', raw(entry.uname));
  if (entry.gname.length > 32) add('gname', raw(entry.gname));
  if (entry.paxMtime !== undefined && entry.paxMtime.includes('.')) add('mtime', raw(entry.paxMtime));
  else if (!fitsOctal(entry.mtime, 12)) add('mtime', raw(String(entry.mtime)));
  if (entry.xattrs.size > 0)
    for (const [name, value] of [...entry.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      add(SCHILY_XATTR + name, value);
    }
  return records;
}

/** encodeEntry returns the header blocks for an entry, a PAX header first where one is needed. */
export function encodeEntry(entry: EncodedEntry): Buffer {
  const path = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const header = encodeHeader({
    name: path.length > 100 && !fitsName(path) ? path.slice(0, 100) : path,
    mode: entry.mode,
    uid: fitsOctal(entry.uid, 8) ? entry.uid : 0,
    gid: fitsOctal(entry.gid, 8) ? entry.gid : 0,
    size: entry.type === 'file' ? entry.size : 0,
    mtime: Math.max(0, entry.mtime),
    typeflag: TYPEFLAGS[entry.type],
    linkname: entry.linkname.slice(0, 100),
    uname: entry.uname.slice(0, 32),
    gname: entry.gname.slice(0, 32),
    devmajor: entry.devmajor,
    devminor: entry.devminor,
  });
  const records = paxRecordsFor(entry, path);
  if (records === undefined) return header;
  const data = encodePax(records);
  const paxHeader = encodeHeader({
    name: `PaxHeaders/${path.slice(-80)}`.replace(/\/+$/, ''),
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime: 0,
    typeflag: 'x',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  });
  return Buffer.concat([paxHeader, data, Buffer.alloc(padding(data.length)), header]);
}

/** dataPadding returns the zero bytes that follow `size` bytes of entry data. */
export function dataPadding(size: number): Buffer {
  return Buffer.alloc(padding(size));
}
