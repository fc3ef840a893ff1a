/**
 * Applying one layer entry to the tree, with the Docker engine's semantics (moby
 * pkg/archive/diff.go UnpackLayer): missing parents are made 0755; an entry replaces whatever
 * was at its path unless both are directories, which merge; `.wh.NAME` and `.wh..wh..opq`
 * remove lower-layer content only (OCI layer.md): what the current layer wrote stays.
 */
import { UndockerError, UnsafePathError } from '../errors.js';
import { type TarEntry, toDisplay } from '../tar/entry.js';
import type { TarItem } from '../tar/reader.js';
import { splitEntryPath } from './paths.js';
import type { TreeSink } from './sink.js';
import { addXattrs, defaultDirMeta, NO_XATTRS, type FsNode, type FsTree, type Inode, type Meta } from './tree.js';
import { classifyWhiteout } from './whiteout.js';

/** LayerContext says which layer is being applied, for whiteout rules and messages. */
export interface LayerContext {
  tree: FsTree;
  sink: TreeSink;
  layer: number;
  where: string;
  /** keepWhiteouts applies `.wh.` markers as the plain files they are stored as (`undocker layer -C`) */
  keepWhiteouts?: boolean;
}

function metaOf(entry: TarEntry): Meta {
  return {
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    uname: entry.uname,
    gname: entry.gname,
    mtime: entry.mtime,
    // Always present, if undefined: one object shape for every inode, and no spread per entry.
    paxMtime: entry.paxMtime,
    linkname: entry.linkname,
    devmajor: entry.devmajor,
    devminor: entry.devminor,
    xattrs: entry.xattrs.size > 0 ? new Map(entry.xattrs) : NO_XATTRS,
  };
}

/** applyEntry applies one tar entry of a layer to the tree and its sink. */
export async function applyEntry(context: LayerContext, item: TarItem): Promise<void> {
  const { entry } = item;
  // Built only when something fails: most entries never need it.
  const where = (): string => `${context.where}: entry ${toDisplay(entry.path)}`;
  const parts = splitEntryPath(entry.path, context.where);
  if (parts.length === 0) {
    if (entry.type === 'directory') updateDirectory(context, context.tree.root, entry);
    return;
  }
  const whiteout = context.keepWhiteouts ? undefined : classifyWhiteout(parts);
  if (whiteout?.kind === 'metadata') return;
  const parent = parentOf(context, parts, entry, where);
  const name = parts[parts.length - 1] as string;
  if (whiteout?.kind === 'opaque') {
    for (const child of [...(parent.children?.values() ?? [])]) pruneLower(context, child);
    return;
  }
  if (whiteout?.kind === 'remove') {
    const victim = parent.children?.get(whiteout.name);
    if (victim !== undefined) pruneLower(context, victim);
    return;
  }
  const existing = parent.children?.get(name);
  if (existing !== undefined) {
    if (existing.inode.kind === 'directory' && entry.type === 'directory') {
      updateDirectory(context, existing, entry);
      return;
    }
    context.sink.remove(existing);
    context.tree.detach(existing);
  }
  await createNode(context, parent, name, item, where);
}

function parentOf(context: LayerContext, parts: string[], entry: TarEntry, where: () => string): FsNode {
  const makeDir = (parent: FsNode, name: string): FsNode => {
    const inode: Inode = {
      kind: 'directory',
      meta: defaultDirMeta(entry.mtime),
      size: 0,
      layer: context.layer,
      ordinal: -1,
    };
    const node = context.tree.attach(parent, name, inode, context.layer);
    context.sink.makeDir(node);
    return node;
  };
  let parent: FsNode | undefined;
  try {
    parent = context.tree.walk(parts.slice(0, -1), { followLast: true, makeDir });
  } catch (error) {
    throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${where()}: ${(error as Error).message}`, { cause: error });
  }
  if (parent === undefined || parent.inode.kind !== 'directory') {
    throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${where()}: parent is not a directory`);
  }
  return parent;
}

function updateDirectory(context: LayerContext, node: FsNode, entry: TarEntry): void {
  const meta = node.inode.meta;
  // A merged directory takes the layer's owner, mode and times; xattrs are added (setxattr).
  Object.assign(meta, {
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    uname: entry.uname,
    gname: entry.gname,
    mtime: entry.mtime,
  });
  meta.paxMtime = entry.paxMtime;
  addXattrs(meta, entry.xattrs);
  node.layer = context.layer;
  context.sink.updateDir(node, entry.xattrs);
}

/** touchedBy tells whether the current layer wrote a node or anything below it. */
function touchedBy(node: FsNode, layer: number): boolean {
  if (node.layer === layer) return true;
  for (const child of node.children?.values() ?? []) if (touchedBy(child, layer)) return true;
  return false;
}

/** pruneLower removes what lower layers put at and below `node`, keeping what this layer wrote. */
function pruneLower(context: LayerContext, node: FsNode): void {
  if (!touchedBy(node, context.layer)) {
    context.sink.remove(node);
    context.tree.detach(node);
    return;
  }
  for (const child of [...(node.children?.values() ?? [])]) pruneLower(context, child);
}

async function createNode(
  context: LayerContext,
  parent: FsNode,
  name: string,
  item: TarItem,
  where: () => string,
): Promise<void> {
  const { entry } = item;
  const { tree, sink, layer } = context;
  if (entry.type === 'hardlink') {
    const target = linkTarget(context, entry, where);
    const node = tree.attach(parent, name, target.inode, layer);
    // Docker applies the link header's owner, mode, xattrs and times to the shared inode.
    Object.assign(target.inode.meta, { uid: entry.uid, gid: entry.gid, uname: entry.uname, gname: entry.gname });
    if (target.inode.kind !== 'symlink') target.inode.meta.mode = entry.mode;
    addXattrs(target.inode.meta, entry.xattrs);
    sink.link(target, node);
    return;
  }
  const inode: Inode = { kind: entry.type, meta: metaOf(entry), size: entry.size, layer, ordinal: item.ordinal };
  const node = tree.attach(parent, name, inode, layer);
  switch (entry.type) {
    case 'directory':
      sink.makeDir(node);
      return;
    case 'file':
      await sink.writeFile(node, item);
      return;
    case 'symlink':
      sink.symlink(node);
      return;
    default:
      sink.special(node);
  }
}

function linkTarget(context: LayerContext, entry: TarEntry, where: () => string): FsNode {
  let parts: string[];
  try {
    parts = splitEntryPath(entry.linkname, context.where);
  } catch {
    throw new UnsafePathError(
      `${where()}: hardlink target ${toDisplay(entry.linkname)} is outside the root filesystem`,
    );
  }
  const dir = parts.length === 0 ? undefined : context.tree.walk(parts.slice(0, -1), { followLast: true });
  const target = dir?.children?.get(parts[parts.length - 1] as string);
  if (target === undefined)
    throw new UndockerError(
      'UNDOCKER_BAD_ARCHIVE',
      `${where()}: hardlink target ${toDisplay(entry.linkname)} does not exist`,
    );
  if (target.inode.kind === 'directory')
    throw new UndockerError(
      'UNDOCKER_BAD_ARCHIVE',
      `${where()}: hardlink target ${toDisplay(entry.linkname)} is a directory`,
    );
  return target;
}
