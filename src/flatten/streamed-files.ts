/**
 * The record of a layer's files that get no node (lister.ts). Per file it keeps the folder the
 * file went to and the block where its headers start in the layer, and for the tar output its
 * metadata's number, 12 bytes: the data pass reads the name and size again from the header and
 * writes the file under the folder's path. With the fingerprints, a million files cost 17 MB, not
 * the 45 MB of their nodes. Reading the whole header again instead cost a quarter more time.
 */
import { BLOCK } from '../tar/header.js';
import type { FileLister } from './sink.js';
import { StreamConflict } from './streamed-names.js';
import type { FsTree } from './tree.js';

const PAGE_BITS = 16;
const PAGE_MASK = (1 << PAGE_BITS) - 1;
/** LAST_BLOCK is the last header block a 32-bit column holds: 2 TiB into a layer. */
const LAST_BLOCK = 0xffff_ffff;

/** lastName is an entry path's last component as the data pass takes it: no cleaning, which the plan checks. */
export function lastName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** isListedName tells a name a listed file can have: a file read again as `..` changed, and names no file. */
export function isListedName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..';
}

/**
 * StreamedFiles lists the files a layer wrote without a node, in entry order; `withMeta` keeps
 * their metadata's numbers, for a data pass that writes their headers (a directory's needs none).
 */
export class StreamedFiles {
  private readonly folders: Uint32Array[] = [];
  private readonly headers: Uint32Array[] = [];
  private readonly metas: Uint32Array[] = [];
  /** count is how many files were listed. */
  count = 0;

  constructor(readonly withMeta: boolean) {}

  add(folder: number, headerBlock: number, meta: number): void {
    const slot = this.count & PAGE_MASK;
    if (slot === 0) {
      this.folders.push(new Uint32Array(1 << PAGE_BITS));
      this.headers.push(new Uint32Array(1 << PAGE_BITS));
      if (this.withMeta) this.metas.push(new Uint32Array(1 << PAGE_BITS));
    }
    const page = this.count >>> PAGE_BITS;
    (this.folders[page] as Uint32Array)[slot] = folder;
    (this.headers[page] as Uint32Array)[slot] = headerBlock;
    if (this.withMeta) (this.metas[page] as Uint32Array)[slot] = meta;
    this.count++;
  }

  /** folderOf is the folder file `index` went to. */
  folderOf(index: number): number {
    return (this.folders[index >>> PAGE_BITS] as Uint32Array)[index & PAGE_MASK] as number;
  }

  /** headerOf is where file `index`'s first header block starts in its layer, in bytes. */
  headerOf(index: number): number {
    return ((this.headers[index >>> PAGE_BITS] as Uint32Array)[index & PAGE_MASK] as number) * BLOCK;
  }

  /** metaOf is file `index`'s metadata number in the tree. */
  metaOf(index: number): number {
    return (this.metas[index >>> PAGE_BITS] as Uint32Array)[index & PAGE_MASK] as number;
  }
}

/**
 * listerOf lists files in `files`. A file that could not be read again alone as it was read here
 * (after a global PAX header, sparse, or named by a path that needed cleaning) throws
 * StreamConflict, and the listed files get their nodes (lister.ts).
 */
export function listerOf(files: StreamedFiles, tree: FsTree): FileLister {
  return (parent, name, entry, data) => {
    const block = data.header === undefined ? undefined : data.header / BLOCK;
    if (block === undefined || block > LAST_BLOCK || data.sparse !== undefined || lastName(entry.path) !== name)
      throw new StreamConflict();
    files.add(parent, block, files.withMeta ? tree.internMeta(entry) : 0);
  };
}
