/**
 * Names of the tree's nodes and the lookup of a child by name. Names are byte strings (one
 * character per byte), kept as bytes in 1 MiB pages rather than as a string each; one
 * open-addressing index keyed by (parent, name) finds a child, as a Map per directory did at
 * five times the memory. Deleting shifts later entries back (linear probing), so there are no
 * tombstones and lookups stay short however many names come and go.
 */
import { type ColumnPage, type NodeColumns, SLOT_MASK } from './node-columns.js';
import { SplitTable } from './split-table.js';

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
      // A text longer than a page (a PAX time of a million digits) gets a page of its own size.
      this.pages.push(Buffer.allocUnsafeSlow(Math.max(ARENA_PAGE, name.length)));
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

/**
 * ChildIndex finds a node by its parent and name; it holds node numbers only, never 0 (the root),
 * in a table that grows by splitting (split-table.ts).
 */
export class ChildIndex {
  private readonly table: SplitTable;

  constructor(
    private readonly columns: NodeColumns,
    private readonly names: NameArena,
    maxDepth?: number,
  ) {
    this.table = new SplitTable((node) => this.home(node), maxDepth);
  }

  /** find is the child of `parent` called `name`. */
  find(parent: number, name: string): number | undefined {
    const hash = hashKey(parent, name);
    const slots = this.table.slotsFor(hash);
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
    this.table.insert(node, this.home(node));
  }

  /** remove takes a node out. */
  remove(node: number): void {
    this.table.remove(node, this.home(node));
  }

  private home(node: number): number {
    const page: ColumnPage = this.columns.page(node);
    const slot = node & SLOT_MASK;
    return this.names.hash(page.parent[slot]!, page.nameOffset[slot]!, page.nameLength[slot]!);
  }
}
