/**
 * The columns behind FsTree: every field of every node in typed arrays, not an object per node,
 * so a million entries cost tens of megabytes and nothing for the garbage collector to trace.
 * Columns are paged: adding a node never copies the ones before it, and memory is never more
 * than one page ahead of what is used.
 */

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;

/** SLOT_MASK takes a node's place within its page. */
export const SLOT_MASK = PAGE_SIZE - 1;

/** NO_NODE marks an empty link: the root is never anyone's child or sibling, so 0 is free to mean none. */
export const NO_NODE = 0;

/** ColumnPage holds the fields of 65,536 consecutive nodes, 29 bytes each. */
export class ColumnPage {
  /** parent is the directory a node is in; DETACHED once it is taken out of the tree. */
  readonly parent = new Uint32Array(PAGE_SIZE);
  /** nextSibling chains a directory's names from its first (its `data`), detached ones too until a walk drops them. */
  readonly nextSibling = new Uint32Array(PAGE_SIZE);
  /** nameOffset and nameLength place the name in the NameArena. */
  readonly nameOffset = new Uint32Array(PAGE_SIZE);
  readonly nameLength = new Uint16Array(PAGE_SIZE);
  /** layer is the last layer that wrote the name, plus one (the root's is -1). */
  readonly layer = new Uint16Array(PAGE_SIZE);
  /** kind is the inode's kind, with a flag on a hardlink's later names. */
  readonly kind = new Uint8Array(PAGE_SIZE);
  /** The inode's fields, at the index of its first name: interned metadata; `data`, the block where a file's data
   * starts in its layer, the target's number of a symlink, the first child of a directory; and a file's size. */
  readonly meta = new Uint32Array(PAGE_SIZE);
  readonly data = new Uint32Array(PAGE_SIZE);
  readonly size = new Uint32Array(PAGE_SIZE);
}

/** NodeColumns hands out node numbers and the page each one's fields are on. */
export class NodeColumns {
  private readonly pages: ColumnPage[] = [];
  /** count is how many nodes were ever made; numbers are never reused. */
  count = 0;

  /** add makes a node, all fields zero. */
  add(): number {
    if ((this.count & SLOT_MASK) === 0) this.pages.push(new ColumnPage());
    return this.count++;
  }

  /** page is the page holding node `node`; its fields are at `node & SLOT_MASK`. */
  page(node: number): ColumnPage {
    return this.pages[node >>> PAGE_BITS] as ColumnPage;
  }
}
