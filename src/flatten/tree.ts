/**
 * FsTree is the root filesystem being built, as metadata only: a node per path, an inode per
 * file (shared by hardlinks). Lookups resolve symlinks inside the tree the way a chroot does,
 * so a path through `etc -> /` lands on the tree's own root and nothing is ever reached outside.
 */
import { UndockerError } from '../errors.js';
import type { EntryType } from '../tar/entry.js';

/** NodeKind is every entry type but hardlink, which is a second name of an inode. */
export type NodeKind = Exclude<EntryType, 'hardlink'>;

/** Meta is what an inode carries besides its data. */
export interface Meta {
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  paxMtime?: string;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: ReadonlyMap<string, Buffer>;
}

/** Inode is what hardlinked names share: kind, metadata and, for files, where the data is. */
export interface Inode {
  kind: NodeKind;
  meta: Meta;
  size: number;
  /** For files: the layer and entry ordinal whose data this inode holds. */
  layer: number;
  ordinal: number;
}

/** FsNode is one name in the tree. */
export interface FsNode {
  name: string;
  parent: FsNode | undefined;
  inode: Inode;
  children: Map<string, FsNode> | undefined;
  /** layer is the last layer that wrote this name; whiteouts spare what their own layer wrote. */
  layer: number;
}

const MAX_SYMLINK_HOPS = 40;

/** FsTree holds the nodes and resolves paths among them. */
export class FsTree {
  readonly root: FsNode = {
    name: '', parent: undefined, layer: -1, children: new Map(),
    inode: { kind: 'directory', size: 0, layer: -1, ordinal: -1, meta: defaultDirMeta(0) },
  };

  /** pathOf returns a node's path from the root, components joined by `/`. */
  pathOf(node: FsNode): string {
    const parts: string[] = [];
    for (let n: FsNode | undefined = node; n !== undefined && n.parent !== undefined; n = n.parent) parts.push(n.name);
    return parts.reverse().join('/');
  }

  /**
   * walk resolves components from `start`, following symlinks in every component but the last
   * (and the last too when `followLast`). Missing directories are made with `makeDir`, or the
   * walk returns undefined when there is none.
   */
  walk(components: readonly string[], options: { followLast: boolean; makeDir?: (parent: FsNode, name: string) => FsNode }): FsNode | undefined {
    let current = this.root;
    const queue = [...components];
    let hops = 0;
    while (queue.length > 0) {
      const part = queue.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        current = current.parent ?? current; // `..` at the root stays at the root, as in a chroot
        continue;
      }
      if (current.inode.kind !== 'directory') {
        throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${this.pathOf(current)} is not a directory`);
      }
      let child = current.children?.get(part);
      if (child === undefined) {
        if (options.makeDir === undefined) return undefined;
        child = options.makeDir(current, part);
      }
      if (child.inode.kind === 'symlink' && (queue.length > 0 || options.followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `too many levels of symbolic links at ${this.pathOf(child)}`);
        const target = child.inode.meta.linkname;
        if (target.startsWith('/')) current = this.root;
        queue.unshift(...target.split('/'));
        continue;
      }
      current = child;
    }
    return current;
  }

  /** attach puts a new node under `parent`. */
  attach(parent: FsNode, name: string, inode: Inode, layer: number): FsNode {
    const node: FsNode = { name, parent, inode, layer, children: inode.kind === 'directory' ? new Map() : undefined };
    parent.children?.set(name, node);
    return node;
  }

  /** detach takes a node (and everything below it) out of the tree. */
  detach(node: FsNode): void {
    node.parent?.children?.delete(node.name);
  }

  /** visit calls `fn` for every node below the root, parents first, names in byte order. */
  *nodes(from: FsNode = this.root): Generator<FsNode> {
    const names = [...(from.children?.keys() ?? [])].sort();
    for (const name of names) {
      const child = from.children?.get(name) as FsNode;
      yield child;
      if (child.children !== undefined) yield* this.nodes(child);
    }
  }
}

/** NO_XATTRS is the shared empty xattr map most inodes have; addXattrs copies it before writing. */
export const NO_XATTRS: ReadonlyMap<string, Buffer> = new Map();

/** addXattrs adds attributes to an inode's metadata, giving it a map of its own first. */
export function addXattrs(meta: Meta, added: ReadonlyMap<string, Buffer>): void {
  if (added.size === 0) return;
  if (meta.xattrs === NO_XATTRS) meta.xattrs = new Map();
  for (const [key, value] of added) (meta.xattrs as Map<string, Buffer>).set(key, value);
}

/** defaultDirMeta is the metadata of a directory Docker creates implicitly (MkdirAll 0755, root). */
export function defaultDirMeta(mtime: number): Meta {
  return { mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', mtime, linkname: '', devmajor: 0, devminor: 0, xattrs: NO_XATTRS };
}
