/**
 * Builds tars in code for tests (as node-tar's test/fixtures/make-tar does): no loose
 * whiteout files or hostile archives live in the repository.
 */
import { newEntry, type EntryType, type TarEntry } from '../../src/tar/entry.js';
import { encodeHeader, type RawHeader } from '../../src/tar/header.js';
import { dataPadding, encodeEntry, END_OF_ARCHIVE } from '../../src/tar/writer.js';

/** EntrySpec describes one tar entry; `path` and `content` are UTF-8 unless given as bytes. */
export interface EntrySpec {
  path: string;
  type?: EntryType;
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  xattrs?: Record<string, string | Buffer>;
  devmajor?: number;
  devminor?: number;
  /** rawPath gives the path as bytes (latin1 string) instead of UTF-8 text */
  rawPath?: boolean;
}

const bytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** toEntry turns a spec into a TarEntry and its data. */
export function toEntry(spec: EntrySpec): { entry: TarEntry; data: Buffer } {
  const type = spec.type ?? (spec.path.endsWith('/') ? 'directory' : spec.linkname !== undefined ? 'symlink' : 'file');
  const data = typeof spec.content === 'string' ? Buffer.from(spec.content) : (spec.content ?? Buffer.alloc(0));
  const entry = newEntry({
    path: spec.rawPath ? spec.path : bytes(spec.path),
    type,
    size: type === 'file' ? data.length : 0,
    mtime: spec.mtime ?? 1_700_000_000,
    linkname: bytes(spec.linkname ?? ''),
    ...(spec.mode !== undefined ? { mode: spec.mode } : {}),
    ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
    ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    devmajor: spec.devmajor ?? 0,
    devminor: spec.devminor ?? 0,
    xattrs: new Map(Object.entries(spec.xattrs ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)])),
  });
  return { entry, data };
}

/** makeTar builds a complete tar in memory (tests only use small ones). */
export function makeTar(specs: EntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const spec of specs) {
    const { entry, data } = toEntry(spec);
    parts.push(encodeEntry(entry));
    if (entry.type === 'file') parts.push(data, dataPadding(data.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** rawHeader encodes one ustar header block: a plain empty file `f` unless `fields` say otherwise. */
export function rawHeader(fields: Partial<RawHeader> = {}): Buffer {
  return encodeHeader({
    name: 'f',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 0,
    typeflag: '0',
    linkname: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
    ...fields,
  });
}
