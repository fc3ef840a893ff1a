/**
 * The top layer's files, not kept as nodes. Nothing above the top layer can shadow its files, so
 * the directory output's tree need not hold them: each is written as it comes. What is kept is
 * just enough to notice the rare layer whose later entry would touch one of them (the same name
 * twice, a path through it, a hardlink to it, its folder replaced): two 32-bit hashes per
 * (folder, name), one where to look and one to compare, so a false hit takes both to collide.
 * Any hit, true or false, throws StreamConflict, and the caller starts again keeping every name:
 * the result is always the one the full tree gives. A million files so cost 8–16 MB, not the
 * 46 MB of their nodes. (The tar output, which reads the layer again to copy the data, tried it
 * too: it saved 10 MB of 129 and cost a third more time on 300,000 files, so it keeps every name.)
 */

/** StreamConflict says a later entry touches a file that was not kept: start again, keeping every name. */
export class StreamConflict extends Error {
  constructor() {
    super('an entry of the top layer touches a file the layer wrote before');
  }
}

const SEGMENT_BITS = 6;
const SEGMENT_SHIFT = 32 - SEGMENT_BITS;

/** keyHashes are two independent hashes of (folder, name): where to look, and the fingerprint kept there. */
function keyHashes(parent: number, name: string): [number, number] {
  let a = 0x811c9dc5 ^ parent;
  let b = Math.imul(parent, 0x9e3779b1) ^ 0x27d4eb2f;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x85ebca6b) + 0x165667b1;
  }
  a = Math.imul(a ^ (a >>> 15), 0x2c1b3c6d);
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  return [(a ^ (a >>> 16)) >>> 0, ((b ^ (b >>> 16)) | 1) >>> 0]; // a fingerprint is never 0, an empty slot's mark
}

/** StreamedNames fingerprints the files the top layer wrote without a node. */
export class StreamedNames {
  /** Each segment holds pairs of (home hash, fingerprint); the home hash is kept to place it again when it grows. */
  private readonly segments = Array.from({ length: 1 << SEGMENT_BITS }, () => new Uint32Array(32));
  private readonly used = new Uint32Array(1 << SEGMENT_BITS);
  /** folders holds every folder a file went to, so a whiteout's pruning knows the layer wrote below it. */
  private readonly folders = new Set<number>();

  /** has tells whether a file may have been streamed as `name` in `parent`; a double collision says yes too. */
  has(parent: number, name: string): boolean {
    const [home, print] = keyHashes(parent, name);
    const pairs = this.segments[home >>> SEGMENT_SHIFT] as Uint32Array;
    const mask = (pairs.length >>> 1) - 1;
    for (let i = home & mask; pairs[2 * i + 1] !== 0; i = (i + 1) & mask)
      if (pairs[2 * i] === home && pairs[2 * i + 1] === print) return true;
    return false;
  }

  /** add records a file streamed as `name` in `parent`; the caller knows `has` said no. */
  add(parent: number, name: string): void {
    const [home, print] = keyHashes(parent, name);
    const segment = home >>> SEGMENT_SHIFT;
    if (((this.used[segment] as number) + 1) * 8 > (this.segments[segment] as Uint32Array).length * 3)
      this.grow(segment);
    place(this.segments[segment] as Uint32Array, home, print);
    this.used[segment]!++;
    this.folders.add(parent);
  }

  /** holdsFiles tells whether a file was streamed straight into folder `dir`. */
  holdsFiles(dir: number): boolean {
    return this.folders.has(dir);
  }

  private grow(segment: number): void {
    const old = this.segments[segment] as Uint32Array;
    const pairs = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) place(pairs, old[i] as number, old[i + 1] as number);
    this.segments[segment] = pairs;
  }
}

/** place puts a pair in the first free slot from its home. */
function place(pairs: Uint32Array, home: number, print: number): void {
  const mask = (pairs.length >>> 1) - 1;
  let i = home & mask;
  while (pairs[2 * i + 1] !== 0) i = (i + 1) & mask;
  pairs[2 * i] = home;
  pairs[2 * i + 1] = print;
}
