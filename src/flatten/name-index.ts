/**
 * Names of the tree's nodes and the lookup of a child by name. Names are byte strings (one
 * character per byte), kept as bytes in 1 MiB pages rather than as a string each; one
 * open-addressing index keyed by (parent, name) finds a child, as a Map per directory did at
 * five times the memory. Deleting shifts later entries back (linear probing), so there are no
 * tombstones and lookups stay short however many names come and go.
 */
import { type ColumnPage, type NodeColumns, SLOT_MASK } from './node-columns.js';

const ARENA_PAGE = 1 << 20;
const ARENA_BITS = 20;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** NameArena stores names as bytes; an offset packs the page and the place in it. */
export class NameArena {
  private readonly pages: Buffer[] = [];
  private used = ARENA_PAGE;

  /** store copies a byte-string name in and returns its offset; a name is never split across pages. */
  store(name: string): number {
    if (this.used + name.length > ARENA_PAGE) {
      this.pages.push(Buffer.allocUnsafeSlow(ARENA_PAGE));
      this.used = 0;
    }
    const page = this.pages[this.pages.length - 1] as Buffer;
    const start = this.used;
    for (let i = 0; i < name.length; i++) page[start + i] = name.charCodeAt(i);
    this.used += name.length;
    return (this.pages.length - 1) * ARENA_PAGE + start; // under 2^32 for 4 GiB of names
  }

  /** text is the name at `offset` as a byte string. */
  text(offset: number, length: number): string {
    const start = offset & (ARENA_PAGE - 1);
    return (this.pages[offset >>> ARENA_BITS] as Buffer).toString('latin1', start, start + length);
  }

  /** equals tells whether the name at `offset` is `name`. */
  equals(offset: number, length: number, name: string): boolean {
    if (length !== name.length) return false;
    const page = this.pages[offset >>> ARENA_BITS] as Buffer;
    const start = offset & (ARENA_PAGE - 1);
    for (let i = 0; i < length; i++) if (page[start + i] !== name.charCodeAt(i)) return false;
    return true;
  }

  /** hash is the stored name's hash under `parent`, equal to hashKey's of the same pair. */
  hash(parent: number, offset: number, length: number): number {
    const page = this.pages[offset >>> ARENA_BITS] as Buffer;
    const start = offset & (ARENA_PAGE - 1);
    let h = FNV_OFFSET;
    for (let i = 0; i < length; i++) h = Math.imul(h ^ (page[start + i] as number), FNV_PRIME);
    return mixParent(h, parent);
  }
}

/** hashKey hashes a (parent, name) pair: where the child index, and the streamed names, look for it. */
export function hashKey(parent: number, name: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), FNV_PRIME);
  return mixParent(h, parent);
}

function mixParent(h: number, parent: number): number {
  const mixed = Math.imul(h ^ parent, 0x9e3779b1);
  return (mixed ^ (mixed >>> 15)) >>> 0;
}

/** SEGMENT_SLOTS is every segment's size: a full one splits in two, so no table is ever copied into a larger one. */
const SEGMENT_SLOTS = 4096;
/** SEGMENT_FILL is where a segment splits: three quarters full keeps linear probing short. */
const SEGMENT_FILL = (SEGMENT_SLOTS * 3) / 4;
/**
 * MAX_DEPTH bounds the directory at 65,536 places (200 million names). Past it a full segment
 * doubles instead: names made so that their hashes agree (FNV is easy to collide) would split it
 * forever.
 */
const MAX_DEPTH = 16;

/** Segment is one table of the index, holding the keys whose hash starts with its `depth` bits. */
interface Segment {
  slots: Uint32Array;
  depth: number;
  used: number;
}

function newSegment(depth: number): Segment {
  return { slots: new Uint32Array(SEGMENT_SLOTS), depth, used: 0 };
}

/**
 * ChildIndex finds a node by its parent and name; it holds node numbers only, never 0 (the root).
 * The table is cut in segments of one size, picked by the hash's first bits (extendible hashing):
 * a full segment splits in two by the next bit, and only the small list of segments ever doubles.
 * Tables that doubled left the ones they outgrew as holes in the heap: a million names peaked
 * 10 MB higher than with a table made big enough at the start.
 */
export class ChildIndex {
  /** directory maps a hash's first `depth` bits to its segment, which a shallower segment fills several places of. */
  private directory: Segment[] = [newSegment(1), newSegment(1)];
  private depth = 1;
  /** moving holds a splitting segment's keys, reused: a split runs every few thousand names. */
  private readonly moving = new Uint32Array(SEGMENT_FILL);

  constructor(
    private readonly columns: NodeColumns,
    private readonly names: NameArena,
    private readonly maxDepth = MAX_DEPTH,
  ) {}

  private segmentOf(hash: number): Segment {
    return this.directory[hash >>> (32 - this.depth)] as Segment;
  }

  /** find is the child of `parent` called `name`. */
  find(parent: number, name: string): number | undefined {
    const hash = hashKey(parent, name);
    const slots = this.segmentOf(hash).slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const node = slots[i] as number;
      if (node === 0) return undefined;
      const page = this.columns.page(node);
      const slot = node & SLOT_MASK;
      if (page.parent[slot] === parent && this.names.equals(page.nameOffset[slot]!, page.nameLength[slot]!, name))
        return node;
    }
  }

  /** insert adds a node whose parent and name are set; the caller knows the name is not taken. */
  insert(node: number): void {
    const hash = this.home(node);
    let segment = this.segmentOf(hash);
    while (segment.used * 4 >= segment.slots.length * 3) {
      if (segment.depth < this.maxDepth) this.split(segment, hash);
      else grow(segment, (one) => this.home(one));
      segment = this.segmentOf(hash);
    }
    place(segment, node, hash);
  }

  /** remove takes a node out, moving later entries of its probe run back into the gap. */
  remove(node: number): void {
    const hash = this.home(node);
    const segment = this.segmentOf(hash);
    const slots = segment.slots;
    const mask = slots.length - 1;
    let gap = hash & mask;
    while (slots[gap] !== node) gap = (gap + 1) & mask;
    for (let next = (gap + 1) & mask; slots[next] !== 0; next = (next + 1) & mask) {
      const home = this.home(slots[next] as number) & mask;
      // An entry may fill the gap only if its home is not between the gap and itself.
      const stays = gap <= next ? home > gap && home <= next : home > gap || home <= next;
      if (!stays) {
        slots[gap] = slots[next] as number;
        gap = next;
      }
    }
    slots[gap] = 0;
    segment.used--;
  }

  private home(node: number): number {
    const page: ColumnPage = this.columns.page(node);
    const slot = node & SLOT_MASK;
    return this.names.hash(page.parent[slot]!, page.nameOffset[slot]!, page.nameLength[slot]!);
  }

  /**
   * split moves the keys of `segment` (where `hash` leads) whose next hash bit is 1 to a new segment, doubling the
   * directory if it must.
   */
  private split(segment: Segment, hash: number): void {
    if (segment.depth === this.depth) {
      this.directory = this.directory.flatMap((one) => [one, one]);
      this.depth++;
    }
    // The segment fills the run of places that start with its first `depth` bits; the second half goes to the sibling.
    const places = 1 << (this.depth - segment.depth);
    const first = (hash >>> (32 - segment.depth)) * places;
    segment.depth++;
    const sibling = newSegment(segment.depth);
    this.directory.fill(sibling, first + places / 2, first + places);
    let count = 0;
    for (const node of segment.slots) if (node !== 0) this.moving[count++] = node;
    segment.slots.fill(0);
    segment.used = 0;
    for (let i = 0; i < count; i++) {
      const node = this.moving[i] as number;
      const hash = this.home(node);
      place(this.segmentOf(hash), node, hash);
    }
  }
}

function place(segment: Segment, node: number, hash: number): void {
  const slots = segment.slots;
  const mask = slots.length - 1;
  let i = hash & mask;
  while (slots[i] !== 0) i = (i + 1) & mask;
  slots[i] = node;
  segment.used++;
}

/** grow doubles a segment that may split no more; the hash is recomputed for each name it holds. */
function grow(segment: Segment, home: (node: number) => number): void {
  const old = segment.slots;
  segment.slots = new Uint32Array(old.length * 2);
  segment.used = 0;
  for (const node of old) if (node !== 0) place(segment, node, home(node));
}
