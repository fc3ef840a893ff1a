/**
 * Applying PAX extended header records to an entry. Keys follow POSIX pax plus the xattr
 * conventions of GNU/star (`SCHILY.xattr.`) and libarchive (`LIBARCHIVE.xattr.`).
 */
import type { TarEntry } from './entry.js';

/** SCHILY_XATTR is the PAX key prefix for extended attributes that GNU tar and Go write. */
export const SCHILY_XATTR = 'SCHILY.xattr.';
const LIBARCHIVE_XATTR = 'LIBARCHIVE.xattr.';

function toNumber(value: Buffer): number | undefined {
  const text = value.toString('latin1');
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** applyPax folds global then per-entry records into an entry; it returns a problem or undefined. */
export function applyPax(
  entry: TarEntry,
  globals: ReadonlyMap<string, Buffer>,
  locals: ReadonlyMap<string, Buffer>,
): string | undefined {
  // Most entries have no records: no array and iterators for them (this runs per entry, twice for some).
  if (globals.size === 0 && locals.size === 0) return undefined;
  for (const records of [globals, locals]) {
    for (const [key, value] of records) {
      const problem = applyRecord(entry, key, value);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function applyRecord(entry: TarEntry, key: string, value: Buffer): string | undefined {
  const numeric = (field: 'size' | 'uid' | 'gid' | 'devmajor' | 'devminor'): string | undefined => {
    const n = toNumber(value);
    if (n === undefined) return `bad PAX ${key} value`;
    entry[field] = n;
    return undefined;
  };
  switch (key) {
    case 'path':
      entry.path = value.toString('latin1');
      return undefined;
    case 'linkpath':
      entry.linkname = value.toString('latin1');
      return undefined;
    case 'uname':
      entry.uname = value.toString('latin1');
      return undefined;
    case 'gname':
      entry.gname = value.toString('latin1');
      return undefined;
    case 'size':
    case 'uid':
    case 'gid':
      return numeric(key);
    case 'SCHILY.devmajor':
      return numeric('devmajor');
    case 'SCHILY.devminor':
      return numeric('devminor');
    case 'mtime': {
      const text = value.toString('latin1');
      if (!/^-?\d+(\.\d+)?$/.test(text)) return 'bad PAX mtime value';
      entry.mtime = Math.floor(Number(text));
      entry.paxMtime = text;
      return undefined;
    }
    default:
      if (key.startsWith(SCHILY_XATTR)) entry.xattrs.set(key.slice(SCHILY_XATTR.length), value);
      else if (key.startsWith(LIBARCHIVE_XATTR)) {
        entry.xattrs.set(
          decodeURIComponent(key.slice(LIBARCHIVE_XATTR.length)),
          Buffer.from(value.toString('latin1'), 'base64'),
        );
      }
      // GNU.sparse.* records are read with the sparse map (sparse.ts).
      return undefined;
  }
}
