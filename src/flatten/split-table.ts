/**
 * SplitTable is the open-addressing table behind the tree's lookups (the child index, the
 * interned metadata): numbers, never 0, placed by a 32-bit hash, probed linearly. It grows by
 * extendible hashing: segments of one size, picked by the hash's first bits, a full one split in
 * two by the next bit; only the small directory of segments doubles. A table that doubled left
 * the one it outgrew as a hole in the heap and held both while it copied: a million names peaked
 * 10 MB higher, and 300,000 distinct metadata tuples 44 MB higher than 300,000 alike.
 */

/** SEGMENT_SLOTS is every segment's size: a full one splits in two, so no table is ever copied into a larger one. */
const SEGMENT_SLOTS = 4096;
/** SEGMENT_FILL is where a segment splits: three quarters full keeps linear probing short. */
const SEGMENT_FILL = (SEGMENT_SLOTS * 3) / 4;
/**
 * MAX_DEPTH bounds the directory at 65,536 places (200 million numbers). Past it a full segment
 * doubles instead: keys made so that their hashes agree (FNV is easy to collide) would split it
 * forever.
 */
const MAX_DEPTH = 16;

/** Segment is one table, holding the numbers whose hash starts with its `depth` bits. */
interface Segment {
  slots: Uint32Array;
  depth: number;
  used: number;
}

function newSegment(depth: number): Segment {
  return { slots: new Uint32Array(SEGMENT_SLOTS), depth, used: 0 };
}

/** SplitTable holds numbers by hash; `home` gives a held number's hash again when a split moves it. */
export class SplitTable {
  /** directory maps a hash's first `depth` bits to its segment, which a shallower segment fills several places of. */
  private directory: Segment[] = [newSegment(1), newSegment(1)];
  private depth = 1;
  /** moving holds a splitting segment's numbers, reused: a split runs every few thousand insertions. */
  private readonly moving = new Uint32Array(SEGMENT_FILL);

  constructor(
    private readonly home: (held: number) => number,
    private readonly maxDepth = MAX_DEPTH,
  ) {}

  /**
   * slotsFor is the table where `hash` leads: a caller probes it from `hash & (slots.length - 1)`, one slot on,
   * wrapping, until it finds its number or a 0.
   */
  slotsFor(hash: number): Uint32Array {
    return (this.directory[hash >>> (32 - this.depth)] as Segment).slots;
  }

  /** insert adds `held`, whose hash is `hash`; the caller knows it is not there. */
  insert(held: number, hash: number): void {
    let segment = this.segmentOf(hash);
    while (segment.used * 4 >= segment.slots.length * 3) {
      if (segment.depth < this.maxDepth) this.split(segment, hash);
      else this.grow(segment);
      segment = this.segmentOf(hash);
    }
    place(segment, held, hash);
  }

  /** remove takes `held` (whose hash is `hash`) out, moving later numbers of its probe run back into the gap. */
  remove(held: number, hash: number): void {
    const segment = this.segmentOf(hash);
    const slots = segment.slots;
    const mask = slots.length - 1;
    let gap = hash & mask;
    while (slots[gap] !== held) gap = (gap + 1) & mask;
    for (let next = (gap + 1) & mask; slots[next] !== 0; next = (next + 1) & mask) {
      const home = this.home(slots[next] as number) & mask;
      // A number may fill the gap only if its home is not between the gap and itself.
      const stays = gap <= next ? home > gap && home <= next : home > gap || home <= next;
      if (!stays) {
        slots[gap] = slots[next] as number;
        gap = next;
      }
    }
    slots[gap] = 0;
    segment.used--;
  }

  private segmentOf(hash: number): Segment {
    return this.directory[hash >>> (32 - this.depth)] as Segment;
  }

  /**
   * split moves the numbers of `segment` (where `hash` leads) whose next hash bit is 1 to a new segment, doubling the
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
    this.directory.fill(newSegment(segment.depth), first + places / 2, first + places);
    let count = 0;
    for (const held of segment.slots) if (held !== 0) this.moving[count++] = held;
    segment.slots.fill(0);
    segment.used = 0;
    for (let i = 0; i < count; i++) {
      const held = this.moving[i] as number;
      const home = this.home(held);
      place(this.segmentOf(home), held, home);
    }
  }

  /** grow doubles a segment that may split no more. */
  private grow(segment: Segment): void {
    const old = segment.slots;
    segment.slots = new Uint32Array(old.length * 2);
    segment.used = 0;
    for (const held of old) if (held !== 0) place(segment, held, this.home(held));
  }
}

function place(segment: Segment, held: number, hash: number): void {
  const slots = segment.slots;
  const mask = slots.length - 1;
  let i = hash & mask;
  while (slots[i] !== 0) i = (i + 1) & mask;
  slots[i] = held;
  segment.used++;
}
