/**
 * Applying one layer entry to the tree, with the Docker engine's semantics (moby
 * pkg/archive/diff.go UnpackLayer): missing parents are made 0755; an entry replaces whatever
 * was at its path unless both are directories, which merge; `.wh.NAME` and `.wh..wh..opq`
 * remove lower-layer content only (OCI layer.md): what the current layer wrote stays.
 */
import { UndockerError, UnsafePathError } from '../errors.js';
import { type TarEntry, toDisplay } from '../tar/entry.js';
import { BLOCK } from '../tar/header.js';
import type { TarItem } from '../tar/reader.js';
import { splitEntryPath } from './paths.js';
import type { TreeSink } from './sink.js';
import { StreamConflict } from './streamed-names.js';
import { defaultDirMeta, type FsTree } from './tree.js';
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

/** applyEntry applies one tar entry of a layer to the tree and its sink. */
export async function applyEntry(context: LayerContext, item: TarItem): Promise<void> {
  const { entry } = item;
  const { tree } = context;
  // Built only when something fails: most entries never need it.
  const where = (): string => `${context.where}: entry ${toDisplay(entry.path)}`;
  const parts = splitEntryPath(entry.path, context.where);
  if (parts.length === 0) {
    if (entry.type === 'directory') updateDirectory(context, tree.root, entry);
    return;
  }
  const whiteout = context.keepWhiteouts ? undefined : classifyWhiteout(parts);
  if (whiteout?.kind === 'metadata') return;
  const parent = parentOf(context, parts, entry, where);
  const name = parts[parts.length - 1] as string;
  if (whiteout?.kind === 'opaque') {
    for (const child of tree.childrenOf(parent)) pruneLower(context, child);
    return;
  }
  if (whiteout?.kind === 'remove') {
    const victim = tree.childOf(parent, whiteout.name);
    if (victim !== undefined) pruneLower(context, victim);
    return;
  }
  const existing = tree.childOf(parent, name);
  if (existing !== undefined) {
    if (tree.isDirectory(existing) && entry.type === 'directory') {
      updateDirectory(context, existing, entry);
      return;
    }
    context.sink.remove(existing);
    tree.detach(existing);
  }
  await createNode(context, parent, name, item, where);
}

function parentOf(context: LayerContext, parts: string[], entry: TarEntry, where: () => string): number {
  const { tree } = context;
  const makeDir = (parent: number, name: string): number => {
    const node = tree.create(parent, name, context.layer, 'directory', defaultDirMeta(entry.mtime), -1);
    context.sink.makeDir(node);
    return node;
  };
  let parent: number | undefined;
  try {
    parent = tree.walk(parts.slice(0, -1), { followLast: true, makeDir });
  } catch (error) {
    if (error instanceof StreamConflict) throw error;
    throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${where()}: ${(error as Error).message}`, { cause: error });
  }
  if (parent === undefined || !tree.isDirectory(parent)) {
    throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${where()}: parent is not a directory`);
  }
  return parent;
}

function updateDirectory(context: LayerContext, node: number, entry: TarEntry): void {
  const { tree } = context;
  // A merged directory takes the layer's owner, mode and times; xattrs are added (setxattr).
  const { mode, uid, gid, uname, gname, mtime, paxMtime } = entry;
  tree.updateMeta(node, { mode, uid, gid, uname, gname, mtime, paxMtime });
  tree.addXattrs(node, entry.xattrs);
  tree.setLayer(node, context.layer);
  context.sink.updateDir(node, entry.xattrs);
}

/** touchedBy tells whether the current layer wrote a node or anything below it. */
function touchedBy(tree: FsTree, node: number, layer: number): boolean {
  // With a list, not recursion, here and in pruneLower: a hostile layer may nest folders thousands deep.
  const pending = [node];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (tree.layerOf(next) === layer || tree.streamed?.holdsFiles(next)) return true;
    // What a tree has not read yet, no layer applied to it touched.
    for (const child of tree.knownChildrenOf(next)) pending.push(child);
  }
  return false;
}

/** pruneLower removes what lower layers put at and below `node`, keeping what this layer wrote. */
function pruneLower(context: LayerContext, node: number): void {
  const { tree } = context;
  const pending = [node];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (touchedBy(tree, next, context.layer)) {
      for (const child of tree.childrenOf(next)) pending.push(child);
      continue;
    }
    context.sink.remove(next);
    tree.detach(next);
  }
}

async function createNode(
  context: LayerContext,
  parent: number,
  name: string,
  item: TarItem,
  where: () => string,
): Promise<void> {
  const { entry } = item;
  const { tree, sink, layer } = context;
  if (entry.type === 'hardlink') {
    const target = linkTarget(context, entry, where);
    const inode = tree.inodeOf(target);
    const node = tree.addName(parent, name, inode, layer);
    // Docker applies the link header's owner, mode, xattrs and times to the shared inode.
    const { uid, gid, uname, gname } = entry;
    tree.updateMeta(
      inode,
      tree.kindOf(inode) === 'symlink' ? { uid, gid, uname, gname } : { uid, gid, uname, gname, mode: entry.mode },
    );
    tree.addXattrs(inode, entry.xattrs);
    sink.link(target, node);
    return;
  }
  if (entry.type === 'file' && tree.streamed !== undefined) {
    // A file with no node (streamed-names.ts); childOf just said no file of the layer has the name.
    tree.lister?.(parent, name, entry, item);
    await sink.writeStreamed(parent, name, entry, item);
    tree.streamed.add(parent, name);
    return;
  }
  const node = tree.create(parent, name, layer, entry.type, entry, dataBlockOf(item, where));
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

/** LAST_DATA_BLOCK is the last block a tree's 32-bit column holds (the one after it marks none): 2 TiB into a layer. */
const LAST_DATA_BLOCK = 0xffff_fffe;

/** dataBlockOf is where an entry's data starts in its layer's tar, in blocks: a tar's data always starts on one. */
function dataBlockOf(item: TarItem, where: () => string): number {
  const block = item.offset / BLOCK;
  if (block > LAST_DATA_BLOCK)
    throw new UndockerError('UNDOCKER_UNSUPPORTED', `${where()}: data more than 2 TiB into a layer is not supported`);
  return block;
}

function linkTarget(context: LayerContext, entry: TarEntry, where: () => string): number {
  let parts: string[];
  try {
    parts = splitEntryPath(entry.linkname, context.where);
  } catch {
    throw new UnsafePathError(
      `${where()}: hardlink target ${toDisplay(entry.linkname)} is outside the root filesystem`,
    );
  }
  const { tree } = context;
  const dir = parts.length === 0 ? undefined : tree.walk(parts.slice(0, -1), { followLast: true });
  const target = dir === undefined ? undefined : tree.childOf(dir, parts[parts.length - 1] as string);
  if (target === undefined)
    throw new UndockerError(
      'UNDOCKER_BAD_ARCHIVE',
      `${where()}: hardlink target ${toDisplay(entry.linkname)} does not exist`,
    );
  if (tree.isDirectory(target))
    throw new UndockerError(
      'UNDOCKER_BAD_ARCHIVE',
      `${where()}: hardlink target ${toDisplay(entry.linkname)} is a directory`,
    );
  return target;
}
