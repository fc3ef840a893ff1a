/**
 * Files not kept as nodes. Nothing above the top layer can shadow its files, so a tree need not
 * hold them; where a layer can be read again, neither need it hold its files until a later entry
 * touches one (lister.ts). What is kept is just enough to notice that entry (the same name twice,
 * a path through it, a hardlink to it, its folder replaced or pruned): a 32-bit fingerprint per
 * (folder, name), kept where a second hash of it says. Any hit, true or false, throws
 * StreamConflict: the listed files get their nodes, or, for the top layer of a directory that
 * only fingerprints them, the directory is filled again keeping every name. Either way the result
 * is the one the full tree gives. A million files so cost 6 MB, not the 46 MB of their nodes.
 */

import { hashKey } from './name-index.js';

/** StreamConflict says an entry touches a file that was not kept, or one that cannot be listed (lister.ts). */
export class StreamConflict extends Error {
  constructor() {
    super('an entry touches a file kept without a node');
  }
}

const SEGMENT_BITS = 8;
const SEGMENT_SHIFT = 32 - SEGMENT_BITS;
/** A page is a small table of fingerprints, filled to three quarters and never moved: no hash kept to move it. */
const PAGE_SLOTS = 1024;
const PAGE_MASK = PAGE_SLOTS - 1;
const PAGE_FILL = (PAGE_SLOTS * 3) / 4;

/** home and print are the two independent hashes of the last key hashed: where to look, and what is kept there. */
let home = 0;
let print = 0;

/** hashBoth sets `home` (the child index's hash) and `print` for (folder, name): two variables, no array a call. */
function hashBoth(parent: number, name: string): void {
  home = hashKey(parent, name);
  let b = Math.imul(parent, 0x9e3779b1) ^ 0x27d4eb2f;
  for (let i = 0; i < name.length; i++) b = Math.imul(b ^ name.charCodeAt(i), 0x85ebca6b) + 0x165667b1;
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  print = ((b ^ (b >>> 16)) | 1) >>> 0; // never 0, an empty slot's mark
}

/**
 * StreamedNames fingerprints the files the top layer wrote without a node: 256 segments by the
 * home hash's top bits, each a list of pages. A lookup probes every page of its segment from the
 * home's low bits: a false hit takes the segment, the probe run and the 32-bit print to agree.
 * A million names fill 1,500 pages, 6 MB, and nothing is copied as they come.
 */
export class StreamedNames {
  private readonly segments: Array<Uint32Array[] | undefined> = new Array(1 << SEGMENT_BITS);
  /** filled counts the names in each segment's last page. */
  private readonly filled = new Uint16Array(1 << SEGMENT_BITS);
  /** folders holds every folder a file of this layer went to: a whiteout's pruning knows the layer wrote below it. */
  private folders = new Set<number>();
  /** lowerFolders holds the folders files of the layers below went to (the tar output lists every layer's). */
  private readonly lowerFolders = new Set<number>();

  /** has tells whether a file may have been streamed as `name` in `parent`; a false hit is as rare as said above. */
  has(parent: number, name: string): boolean {
    hashBoth(parent, name);
    for (const page of this.segments[home >>> SEGMENT_SHIFT] ?? []) {
      for (let i = home & PAGE_MASK; page[i] !== 0; i = (i + 1) & PAGE_MASK) if (page[i] === print) return true;
    }
    return false;
  }

  /** add records a file streamed as `name` in `parent`; the caller knows `has` said no. */
  add(parent: number, name: string): void {
    hashBoth(parent, name);
    const segment = home >>> SEGMENT_SHIFT;
    const pages = (this.segments[segment] ??= []);
    if (pages.length === 0 || this.filled[segment] === PAGE_FILL) {
      pages.push(new Uint32Array(PAGE_SLOTS));
      this.filled[segment] = 0;
    }
    const page = pages[pages.length - 1] as Uint32Array;
    let i = home & PAGE_MASK;
    while (page[i] !== 0) i = (i + 1) & PAGE_MASK;
    page[i] = print;
    this.filled[segment]!++;
    this.folders.add(parent);
  }

  /** holdsFiles tells whether a file of this layer was streamed straight into folder `dir`. */
  holdsFiles(dir: number): boolean {
    return this.folders.has(dir);
  }

  /** holdsLower tells whether a file of a layer below was streamed straight into folder `dir`. */
  holdsLower(dir: number): boolean {
    return this.lowerFolders.has(dir);
  }

  /** nextLayer starts the next layer: the files streamed so far are a lower layer's. */
  nextLayer(): void {
    for (const folder of this.folders) this.lowerFolders.add(folder);
    this.folders = new Set();
  }
}
