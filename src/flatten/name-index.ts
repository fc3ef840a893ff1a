/**
 * Names of the tree's nodes and the lookup of a child by name. Names are byte strings (one
 * character per byte), kept as bytes in 1 MiB pages rather than as a string each; one
 * open-addressing table keyed by (parent, name) finds a child, as a Map per directory did at
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

/** SEGMENT_BITS picks a key's segment from its hash's top bits; its slot comes from the low bits. */
const SEGMENT_BITS = 6;
const SEGMENT_SHIFT = 32 - SEGMENT_BITS;

/**
 * ChildIndex finds a node by its parent and name; it holds node numbers only, never 0 (the root).
 * The table is cut in 64 segments that each double on their own: one table doubling at once held
 * its old and new copies together, 12 MB at a million names, and left the old in the heap.
 */
export class ChildIndex {
  private readonly segments = Array.from({ length: 1 << SEGMENT_BITS }, () => new Uint32Array(16));
  private readonly used = new Uint32Array(1 << SEGMENT_BITS);

  constructor(
    private readonly columns: NodeColumns,
    private readonly names: NameArena,
  ) {}

  /** find is the child of `parent` called `name`. */
  find(parent: number, name: string): number | undefined {
    const hash = hashKey(parent, name);
    const slots = this.segments[hash >>> SEGMENT_SHIFT] as Uint32Array;
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
    const segment = hash >>> SEGMENT_SHIFT;
    if (((this.used[segment] as number) + 1) * 4 > (this.segments[segment] as Uint32Array).length * 3)
      this.grow(segment);
    this.place(this.segments[segment] as Uint32Array, node, hash);
    this.used[segment]!++;
  }

  /** remove takes a node out, moving later entries of its probe run back into the gap. */
  remove(node: number): void {
    const hash = this.home(node);
    const segment = hash >>> SEGMENT_SHIFT;
    const slots = this.segments[segment] as Uint32Array;
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
    this.used[segment]!--;
  }

  private home(node: number): number {
    const page: ColumnPage = this.columns.page(node);
    const slot = node & SLOT_MASK;
    return this.names.hash(page.parent[slot]!, page.nameOffset[slot]!, page.nameLength[slot]!);
  }

  private place(slots: Uint32Array, node: number, hash: number): void {
    const mask = slots.length - 1;
    let i = hash & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = node;
  }

  private grow(segment: number): void {
    const old = this.segments[segment] as Uint32Array;
    const slots = new Uint32Array(old.length * 2);
    for (const node of old) if (node !== 0) this.place(slots, node, this.home(node));
    this.segments[segment] = slots;
  }
}
