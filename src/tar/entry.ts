/**
 * The tar entry model. Paths, link names, user and group names are "byte strings": one
 * character per byte (latin1), so names that are not UTF-8 pass through unchanged. Convert with
 * `toDisplay` for messages and `toFsPath` for the filesystem.
 */

/** EntryType is the kind of a tar entry after extended headers are folded in. */
export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** TarEntry is one member of a tar stream, without its data. */
export interface TarEntry {
  path: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Data size in bytes; 0 for everything but files. */
  size: number;
  /** Modification time in whole seconds. */
  mtime: number;
  /** The PAX `mtime` record verbatim when the archive had one (sub-second precision). */
  paxMtime?: string;
  /** Symlink or hardlink target. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes, values as raw bytes (`security.capability` is binary). */
  xattrs: Map<string, Buffer>;
}

/** toDisplay turns a byte string into readable UTF-8 for messages and JSON. */
export function toDisplay(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** fromDisplay turns a JavaScript (UTF-8) string into a byte string. */
export function fromDisplay(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** toFsPath turns a byte-string path into a Buffer the fs module takes as a path. */
export function toFsPath(bytes: string): Buffer {
  return Buffer.from(bytes, 'latin1');
}

/** newEntry makes an entry with defaults for the fields a caller does not set. */
export function newEntry(fields: Partial<TarEntry> & Pick<TarEntry, 'path' | 'type'>): TarEntry {
  return {
    mode: fields.type === 'directory' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    size: 0,
    mtime: 0,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
    ...fields,
  };
}

/** deviceNumbers splits Linux's dev_t (lstat's rdev) into a tar entry's numbers, as glibc's gnu_dev_major/minor do. */
export function deviceNumbers(rdev: bigint): { devmajor: number; devminor: number } {
  return {
    devmajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}
