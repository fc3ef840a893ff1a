/**
 * FsTree is the root filesystem being built, as metadata only: a node per path, an inode per
 * file (shared by hardlinks). Lookups resolve symlinks inside the tree the way a chroot does,
 * so a path through `etc -> /` lands on the tree's own root and nothing is ever reached outside.
 */
import type { EntryType } from '../tar/entry.js';
import { type ChrootTree, type WalkOptions, walkChroot } from './chroot-walk.js';

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

/** FsTree holds the nodes and resolves paths among them. */
export class FsTree implements ChrootTree<FsNode> {
  readonly root: FsNode = {
    name: '',
    parent: undefined,
    layer: -1,
    children: new Map(),
    inode: { kind: 'directory', size: 0, layer: -1, ordinal: -1, meta: defaultDirMeta(0) },
  };

  /** parentOf is a node's parent; the root has none. */
  parentOf(node: FsNode): FsNode | undefined {
    return node.parent;
  }

  /** childOf is the node called `name` in directory `node`. */
  childOf(node: FsNode, name: string): FsNode | undefined {
    return node.children?.get(name);
  }

  /** isDirectory tells whether a node is a directory. */
  isDirectory(node: FsNode): boolean {
    return node.inode.kind === 'directory';
  }

  /** symlinkTarget is a symlink node's target. */
  symlinkTarget(node: FsNode): string | undefined {
    return node.inode.kind === 'symlink' ? node.inode.meta.linkname : undefined;
  }

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
  walk(components: readonly string[], options: WalkOptions<FsNode>): FsNode | undefined {
    return walkChroot(this, components, options);
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
  return {
    mode: 0o755,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime,
    paxMtime: undefined,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: NO_XATTRS,
  };
}
