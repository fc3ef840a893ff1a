/**
 * FsTree is the root filesystem being built, as metadata only: a node per name, an inode per
 * file (shared by hardlinks). Both are numbers: a node's fields live in typed-array columns
 * (node-columns.ts), its name in a byte arena with a (parent, name) index (name-index.ts), its
 * metadata interned (meta-table.ts), so a million entries fit in tens of megabytes. An inode is
 * the number of its first name; a hardlink's later names point at it. Lookups resolve symlinks
 * the way a chroot does, so a path through `etc -> /` lands on the tree's own root.
 */
import { UndockerError } from '../errors.js';
import type { EntryType } from '../tar/entry.js';
import { type ChrootTree, type WalkOptions, walkChroot } from './chroot-walk.js';
import { type Meta, type MetaFields, MetaTable } from './meta-table.js';
import { ChildIndex, NameArena } from './name-index.js';
import { NO_NODE, NodeColumns, SLOT_MASK } from './node-columns.js';
import { MAX_NAME_BYTES as MAX_NAME } from './paths.js';
import { StreamConflict, type StreamedNames } from './streamed-names.js';
import type { FileLister } from './sink.js';

export type { Meta, MetaFields } from './meta-table.js';

/** NodeKind is every entry type but hardlink, which is a second name of an inode. */
export type NodeKind = Exclude<EntryType, 'hardlink'>;

/** InodeFields is what a new inode is made from: a tar entry has them all. */
export interface InodeFields extends MetaFields {
  size: number;
  linkname: string;
  xattrs: ReadonlyMap<string, Buffer>;
}

const KINDS: readonly NodeKind[] = ['file', 'directory', 'symlink', 'char', 'block', 'fifo'];
const KIND_CODES = new Map(KINDS.map((kind, code) => [kind, code]));
/** LATER_NAME flags a hardlink's later name: its inode is another node. */
const LATER_NAME = 0x80;
const DETACHED = 0xffffffff;
/** BIG_SIZE in the size column says the size (4 GiB or more) is in `bigSizes`. */
const BIG_SIZE = 0xffffffff;
const MAX_LAYER = 0xfffe;

/** NO_XATTRS is the shared empty xattr map most inodes have. */
export const NO_XATTRS: ReadonlyMap<string, Buffer> = new Map();

/** FsTree holds the nodes and resolves paths among them. */
export class FsTree implements ChrootTree<number> {
  readonly root = 0;
  private readonly columns = new NodeColumns();
  private readonly names = new NameArena();
  private readonly index = new ChildIndex(this.columns, this.names);
  private readonly metas = new MetaTable();
  /** inodes maps a hardlink's later names to the inode. */
  private readonly inodes = new Map<number, number>();
  /** linked holds the inodes that got later names. */
  private readonly linked = new Set<number>();
  private readonly targets: string[] = [''];
  private readonly xattrs = new Map<number, Map<string, Buffer>>();
  private readonly bigSizes = new Map<number, number>();
  /** The last directory whose path was built: siblings come one after another. */
  private cachedDir = -1;
  private cachedPath = '';

  constructor() {
    const root = this.newNode(DETACHED, '', -1, KIND_CODES.get('directory') as number);
    this.columns.page(root).meta[root] = this.metas.intern(defaultDirMeta(0));
  }

  /** count is how many nodes were ever made; nodes made while applying a layer are numbered in entry order. */
  get count(): number {
    return this.columns.count;
  }

  /** parentOf is a node's parent; the root and detached nodes have none. */
  parentOf(node: number): number | undefined {
    const parent = this.columns.page(node).parent[node & SLOT_MASK] as number;
    return parent === DETACHED ? undefined : parent;
  }

  /** isAttached tells whether a node is still in the tree. */
  isAttached(node: number): boolean {
    return node === this.root || this.columns.page(node).parent[node & SLOT_MASK] !== DETACHED;
  }

  /**
   * streamed, while set, holds the files layers wrote without a node (the top layer's, or every listed layer's,
   * lister.ts): a lookup that would find one throws StreamConflict, as does taking a folder that holds one out of the
   * tree, or listing a folder that holds one of a lower layer.
   */
  streamed: StreamedNames | undefined;

  /** lister, while set, lists each file written without a node, to read again (lister.ts). */
  lister: FileLister | undefined;

  /** childOf is the node called `name` in directory `node`. */
  childOf(node: number, name: string): number | undefined {
    const found = this.index.find(node, name);
    if (found === undefined && this.streamed?.has(node, name)) throw new StreamConflict();
    return found;
  }

  /**
   * childrenOf lists a directory's names in no order; a tree that reads names on demand (LayerTree) reads them all.
   * A folder holding streamed files of a lower layer throws StreamConflict: they are its names too.
   */
  childrenOf(dir: number): number[] {
    if (this.streamed?.holdsLower(dir)) throw new StreamConflict();
    return this.knownChildrenOf(dir);
  }

  /** knownChildrenOf lists the names already in the tree, dropping detached ones from the chain on the way. */
  knownChildrenOf(dir: number): number[] {
    const found: number[] = [];
    // Only a directory's `data` is a first child: a file's is where its data is.
    if (!this.isDirectory(dir)) return found;
    const dirPage = this.columns.page(dir);
    let previous = NO_NODE;
    for (let node = dirPage.data[dir & SLOT_MASK] as number; node !== NO_NODE;) {
      const page = this.columns.page(node);
      const next = page.nextSibling[node & SLOT_MASK] as number;
      if (page.parent[node & SLOT_MASK] === dir) {
        found.push(node);
        previous = node;
      } else if (previous === NO_NODE) dirPage.data[dir & SLOT_MASK] = next;
      else this.columns.page(previous).nextSibling[previous & SLOT_MASK] = next;
      node = next;
    }
    return found;
  }

  /** kindOf is the kind of a node's inode. */
  kindOf(node: number): NodeKind {
    return KINDS[(this.columns.page(node).kind[node & SLOT_MASK] as number) & ~LATER_NAME] as NodeKind;
  }

  /** isDirectory tells whether a node is a directory. */
  isDirectory(node: number): boolean {
    return this.kindOf(node) === 'directory';
  }

  /** symlinkTarget is a symlink node's target. */
  symlinkTarget(node: number): string | undefined {
    if (this.kindOf(node) !== 'symlink') return undefined;
    const inode = this.inodeOf(node);
    return this.targets[this.columns.page(inode).data[inode & SLOT_MASK] as number];
  }

  /** inodeOf is the inode a name stands for. */
  inodeOf(node: number): number {
    const kind = this.columns.page(node).kind[node & SLOT_MASK] as number;
    return kind & LATER_NAME ? (this.inodes.get(node) as number) : node;
  }

  /** isLinked tells whether an inode was given more names. */
  isLinked(inode: number): boolean {
    return this.linked.has(inode);
  }

  /** nameOf is a node's name, a byte string. */
  nameOf(node: number): string {
    const page = this.columns.page(node);
    return this.names.text(page.nameOffset[node & SLOT_MASK] as number, page.nameLength[node & SLOT_MASK] as number);
  }

  /** pathOf is a node's path from the root, components joined by `/`. */
  pathOf(node: number): string {
    if (node === this.root) return '';
    return this.pathIn(this.parentOf(node) ?? this.root, this.nameOf(node));
  }

  /** pathIn is the path of `name` in directory `parent`. */
  pathIn(parent: number, name: string): string {
    if (parent === this.root) return name;
    if (parent !== this.cachedDir) {
      // Up to the cached directory or the root, with no recursion: a hostile layer may nest thousands deep.
      const chain: number[] = [];
      let dir = parent;
      for (; dir !== this.root && dir !== this.cachedDir; dir = this.parentOf(dir) ?? this.root) chain.push(dir);
      let path = dir === this.root ? '' : this.cachedPath;
      for (let i = chain.length - 1; i >= 0; i--) {
        const name = this.nameOf(chain[i] as number);
        path = path === '' ? name : `${path}/${name}`;
      }
      this.cachedDir = parent;
      this.cachedPath = path;
    }
    return `${this.cachedPath}/${name}`;
  }

  /** layerOf is the last layer that wrote a name; whiteouts spare what their own layer wrote. */
  layerOf(node: number): number {
    return (this.columns.page(node).layer[node & SLOT_MASK] as number) - 1;
  }

  /** setLayer records that `layer` wrote a name last (a merged directory). */
  setLayer(node: number, layer: number): void {
    this.columns.page(node).layer[node & SLOT_MASK] = layer + 1;
  }

  /** sizeOf is a file inode's data size. */
  sizeOf(inode: number): number {
    const size = this.columns.page(inode).size[inode & SLOT_MASK] as number;
    return size === BIG_SIZE ? (this.bigSizes.get(inode) as number) : size;
  }

  /** dataBlockOf is where a file inode's data starts in the tar of layer dataLayerOf, in 512-byte blocks. */
  dataBlockOf(inode: number): number {
    return this.columns.page(inode).data[inode & SLOT_MASK] as number;
  }

  /** dataLayerOf is the layer whose entry holds a file inode's data: its first name's, never changed for a file. */
  dataLayerOf(inode: number): number {
    return this.layerOf(inode);
  }

  /** internMeta is the number of metadata `fields` among the tree's, for a file kept without a node. */
  internMeta(fields: MetaFields): number {
    return this.metas.intern(fields);
  }

  /** metaNumbered is metadata number `id`, with no link target or xattrs. */
  metaNumbered(id: number): Meta {
    return this.metas.get(id, '', NO_XATTRS);
  }

  /** metaOf is an inode's metadata. */
  metaOf(inode: number): Meta {
    const id = this.columns.page(inode).meta[inode & SLOT_MASK] as number;
    return this.metas.get(id, this.symlinkTarget(inode) ?? '', this.xattrs.get(inode) ?? NO_XATTRS);
  }

  /**
   * walk resolves components from the root, following symlinks in every component but the last (and the last too
   * when `followLast`); missing directories are made with `makeDir`, or the walk returns undefined.
   */
  walk(components: readonly string[], options: WalkOptions<number>): number | undefined {
    return walkChroot(this, components, options);
  }

  /** create puts a new inode, with its first name, under `parent`; `dataBlock` is where a file's data starts. */
  create(parent: number, name: string, layer: number, kind: NodeKind, fields: InodeFields, dataBlock: number): number {
    const node = this.newNode(parent, name, layer, KIND_CODES.get(kind) as number);
    const page = this.columns.page(node);
    const slot = node & SLOT_MASK;
    page.meta[slot] = this.metas.intern(fields);
    if (kind === 'file') {
      page.data[slot] = dataBlock;
      page.size[slot] = fields.size >= BIG_SIZE ? BIG_SIZE : fields.size;
      if (fields.size >= BIG_SIZE) this.bigSizes.set(node, fields.size);
    } else if (kind === 'symlink') {
      page.data[slot] = this.targets.length;
      this.targets.push(fields.linkname);
    }
    if (fields.xattrs.size > 0) this.xattrs.set(node, new Map(fields.xattrs));
    return node;
  }

  /** addName gives inode `inode` another name, a hardlink. */
  addName(parent: number, name: string, inode: number, layer: number): number {
    const kind = (this.columns.page(inode).kind[inode & SLOT_MASK] as number) & ~LATER_NAME;
    const node = this.newNode(parent, name, layer, kind | LATER_NAME);
    this.inodes.set(node, inode);
    this.linked.add(inode);
    return node;
  }

  /** updateMeta changes some of an inode's metadata. */
  updateMeta(inode: number, changes: Partial<MetaFields>): void {
    const page = this.columns.page(inode);
    const slot = inode & SLOT_MASK;
    page.meta[slot] = this.metas.intern({ ...this.metas.get(page.meta[slot] as number, '', NO_XATTRS), ...changes });
  }

  /** addXattrs adds attributes to an inode, as setxattr does. */
  addXattrs(inode: number, added: ReadonlyMap<string, Buffer>): void {
    if (added.size === 0) return;
    let xattrs = this.xattrs.get(inode);
    if (xattrs === undefined) this.xattrs.set(inode, (xattrs = new Map()));
    for (const [key, value] of added) xattrs.set(key, value);
  }

  /** detach takes a node, and everything below it, out of the tree; its number is never reused. */
  detach(node: number): void {
    // Without a stack of calls: a hostile layer may nest folders thousands deep.
    const below: number[] = [];
    const pending = [node];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      // Checked below before anything changes: a conflict leaves the tree as it was (lister.ts).
      if (this.streamed?.holdsFiles(next) || this.streamed?.holdsLower(next)) throw new StreamConflict();
      below.push(next);
      for (const child of this.knownChildrenOf(next)) pending.push(child); // none for anything but a directory
    }
    for (const next of below) {
      this.index.remove(next);
      // Its place in the parent's chain is dropped by the next childrenOf.
      this.columns.page(next).parent[next & SLOT_MASK] = DETACHED;
    }
  }

  /** nodes yields every node below `from`, parents first, names in byte order. */
  *nodes(from = this.root): Generator<number> {
    // A stack of the folders being listed, not nested generators: a hostile layer may nest thousands deep.
    const stack = [{ dir: from, names: this.sortedNames(from), next: 0 }];
    for (let top = stack[0]; top !== undefined; top = stack[stack.length - 1]) {
      if (top.next === top.names.length) {
        stack.pop();
        continue;
      }
      const child = this.index.find(top.dir, top.names[top.next++] as string) as number;
      yield child;
      if (this.isDirectory(child)) stack.push({ dir: child, names: this.sortedNames(child), next: 0 });
    }
  }

  /** sortedNames is a directory's names in byte order: sorted natively, then each found again, which beats sorting
   * numbers with a comparator. */
  private sortedNames(dir: number): string[] {
    return this.childrenOf(dir)
      .map((node) => this.nameOf(node))
      .sort();
  }

  /** directories yields every directory below `from`, parents first, in no order among siblings: no name is read. */
  *directories(from = this.root): Generator<number> {
    const pending = [from];
    for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
      if (dir !== from) yield dir;
      for (const child of this.childrenOf(dir)) if (this.isDirectory(child)) pending.push(child);
    }
  }

  private newNode(parent: number, name: string, layer: number, kind: number): number {
    if (layer >= MAX_LAYER) throw new UndockerError('UNDOCKER_UNSUPPORTED', `more than ${MAX_LAYER} layers`);
    // splitEntryPath refuses longer names with the entry's place; this only keeps the column from wrapping.
    if (name.length > MAX_NAME) throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `a name over ${MAX_NAME} bytes`);
    const node = this.columns.add();
    const page = this.columns.page(node);
    const slot = node & SLOT_MASK;
    page.parent[slot] = parent;
    page.nameOffset[slot] = this.names.store(name);
    page.nameLength[slot] = name.length;
    page.layer[slot] = layer + 1;
    page.kind[slot] = kind;
    if (parent !== DETACHED) {
      const parentPage = this.columns.page(parent);
      // A directory's `data` is its first child.
      page.nextSibling[slot] = parentPage.data[parent & SLOT_MASK] as number;
      parentPage.data[parent & SLOT_MASK] = node;
      this.index.insert(node);
    }
    return node;
  }
}

/** defaultDirMeta is the metadata of a directory Docker creates implicitly (MkdirAll 0755, root). */
export function defaultDirMeta(mtime: number): InodeFields {
  return {
    mode: 0o755,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime,
    paxMtime: undefined,
    size: 0,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: NO_XATTRS,
  };
}
