/**
 * Walking an image's layers as the engine applies them, telling for every
 * entry what it did to the view of the layers below (added, changed, deleted) and, once all
 * are applied, whether it is still what the final rootfs shows. `diff`, `find` and the wasted
 * space of `layers` are views of this one walk. Each layer is read once, whole, its digests
 * checked; file data is dropped as it passes.
 */
import type { Layer } from '../image/types.js';
import { applyEntry } from '../flatten/apply-entry.js';
import { layerEntries } from '../flatten/layer-entries.js';
import { splitEntryPath } from '../flatten/paths.js';
import { PLANNING_SINK } from '../flatten/sink.js';
import { FsTree, type NodeKind } from '../flatten/tree.js';
import { classifyWhiteout } from '../flatten/whiteout.js';
import type { TarEntry } from '../tar/entry.js';

/** ChangeKind is docker diff's letter: added, changed, deleted. */
export type ChangeKind = 'A' | 'C' | 'D';

/** Change is one path a layer added, changed or deleted, as `/path`. */
export interface Change {
  kind: ChangeKind;
  path: string;
}

/** WalkedEntry is one entry of a layer, with the inode it made (for files and links), to judge survival later. */
export interface WalkedEntry {
  layer: number;
  path: string;
  entry: TarEntry;
  /** whiteout is true for `.wh.` markers, which delete rather than add */
  whiteout: boolean;
  /** deletes is the path a whiteout removes (an opaque marker: the folder it empties) */
  deletes?: string;
  /** inode is the inode the entry made or named in the tree */
  inode: number | undefined;
  /** inodeKind is that inode's kind: a folder survives by the layer that last set it, anything else by its inode */
  inodeKind: NodeKind | undefined;
}

/** LayerWalk is the walk's result: each layer's changes, and the final tree. */
export interface LayerWalk {
  changes: Change[][];
  tree: FsTree;
}

function lookup(tree: FsTree, parts: readonly string[]): number | undefined {
  let node: number | undefined = tree.root;
  for (const part of parts) node = node === undefined ? undefined : tree.childOf(node, part);
  return node;
}

const absolute = (parts: readonly string[]): string => `/${parts.join('/')}`;

/**
 * metadataDiffers is moby's statDifferent (pkg/archive/changes.go) on tar headers: type, mode,
 * owner, device numbers, link target and xattrs; for non-directories also size and mtime, the
 * engine's measure of changed content.
 */
function metadataDiffers(tree: FsTree, lower: number, entry: TarEntry): boolean {
  const meta = tree.metaOf(lower);
  const xattrs = [...entry.xattrs].map(([name, value]) => `${name}=${value.toString('hex')}`).sort();
  const lowerXattrs = [...meta.xattrs].map(([name, value]) => `${name}=${value.toString('hex')}`).sort();
  if (
    tree.kindOf(lower) !== entry.type ||
    meta.mode !== entry.mode ||
    meta.uid !== entry.uid ||
    meta.gid !== entry.gid ||
    meta.devmajor !== entry.devmajor ||
    meta.devminor !== entry.devminor ||
    xattrs.join('\0') !== lowerXattrs.join('\0')
  )
    return true;
  if (entry.type === 'symlink' && meta.linkname !== entry.linkname) return true;
  const size = tree.kindOf(lower) === 'file' ? tree.sizeOf(lower) : 0;
  return entry.type !== 'directory' && (size !== entry.size || meta.mtime !== entry.mtime);
}

/** LayerChanges collects one layer's changes; a path deleted and then written again in it is changed. */
class LayerChanges {
  private readonly kinds = new Map<string, ChangeKind>();

  note(path: string, kind: ChangeKind): void {
    const before = this.kinds.get(path);
    if (before === undefined) this.kinds.set(path, kind);
    else if (before === 'D' && kind !== 'D') this.kinds.set(path, 'C');
  }

  /** sorted lists the changes by path, as docker diff does. */
  sorted(): Change[] {
    return [...this.kinds]
      .map(([path, kind]) => ({ path, kind }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

/** classify says what one entry does to the lower layers' view, before it is applied. */
function classify(tree: FsTree, layer: number, parts: string[], entry: TarEntry, changes: LayerChanges): boolean {
  if (parts.length === 0) return false;
  const whiteout = classifyWhiteout(parts);
  if (whiteout?.kind === 'metadata') return true;
  const parentParts = parts.slice(0, -1);
  if (whiteout?.kind === 'opaque') {
    // What the opaque folder hides: its lower children, each listed once.
    const parent = lookup(tree, parentParts);
    for (const child of parent === undefined ? [] : tree.childrenOf(parent))
      if (tree.layerOf(child) < layer) changes.note(absolute([...parentParts, tree.nameOf(child)]), 'D');
    return true;
  }
  if (whiteout?.kind === 'remove') {
    const victim = lookup(tree, [...parentParts, whiteout.name]);
    if (victim !== undefined && tree.layerOf(victim) < layer)
      changes.note(absolute([...parentParts, whiteout.name]), 'D');
    return true;
  }
  const lower = lookup(tree, parts);
  if (lower === undefined) changes.note(absolute(parts), 'A');
  else if (tree.layerOf(lower) < layer) {
    // A folder in a later layer is there because it or something in it changed (the engine's rule).
    if (tree.isDirectory(lower) && entry.type === 'directory') changes.note(absolute(parts), 'C');
    else if (entry.type === 'hardlink' || metadataDiffers(tree, tree.inodeOf(lower), entry))
      changes.note(absolute(parts), 'C');
  }
  return false;
}

/** deletedPath is what a whiteout entry at `parts` removes: NAME for `.wh.NAME`, the folder for an opaque marker. */
function deletedPath(parts: readonly string[]): string | undefined {
  const whiteout = classifyWhiteout(parts);
  if (whiteout?.kind === 'remove') return absolute([...parts.slice(0, -1), whiteout.name]);
  if (whiteout?.kind === 'opaque') return absolute(parts.slice(0, -1));
  return undefined;
}

/**
 * walkLayers applies `layers` in order; `visit` hears every entry after it is applied, with the
 * inode it made, so a caller can later ask whether that inode is still in the tree.
 */
export async function walkLayers(
  layers: readonly Layer[],
  visit: (walked: WalkedEntry) => void = () => undefined,
  signal?: AbortSignal,
): Promise<LayerWalk> {
  const tree = new FsTree();
  const changes: Change[][] = [];
  for (const [index, layer] of layers.entries()) {
    const context = { tree, sink: PLANNING_SINK, layer: index, where: layer.where };
    const layerChanges = new LayerChanges();
    // Every byte is read, data dropped, so the digests are checked as rootfs checks them.
    for await (const item of layerEntries(layer, signal, { lentChunks: true })) {
      const parts = splitEntryPath(item.entry.path, layer.where);
      const whiteout = classify(tree, index, parts, item.entry, layerChanges);
      await applyEntry(context, item);
      const node = whiteout ? undefined : lookup(tree, parts);
      const deletes = whiteout ? deletedPath(parts) : undefined;
      visit({
        layer: index,
        path: absolute(parts),
        entry: item.entry,
        whiteout,
        inode: node === undefined ? undefined : tree.inodeOf(node),
        inodeKind: node === undefined ? undefined : tree.kindOf(node),
        ...(deletes ? { deletes } : {}),
      });
    }
    changes.push(layerChanges.sorted());
  }
  return { changes, tree };
}

/** reachableInodes is every inode the final tree still shows. */
export function reachableInodes(tree: FsTree): Set<number> {
  const inodes = new Set<number>();
  for (const node of tree.nodes()) inodes.add(tree.inodeOf(node));
  return inodes;
}

/** Fate is what became of an entry in the final rootfs. */
export type Fate =
  { kind: 'survives' } | { kind: 'replaced'; layer: number } | { kind: 'deleted' } | { kind: 'whiteout' };

/**
 * fateOf tells whether an entry is what the final tree shows at its path: a file or link by
 * its inode, a folder by the layer that last set its metadata.
 */
export function fateOf(tree: FsTree, walked: WalkedEntry): Fate {
  if (walked.whiteout) return { kind: 'whiteout' };
  const node = lookup(tree, walked.path.split('/').filter(Boolean));
  if (node === undefined) return { kind: 'deleted' };
  const same =
    walked.inodeKind === 'directory' ? tree.layerOf(node) === walked.layer : tree.inodeOf(node) === walked.inode;
  return same ? { kind: 'survives' } : { kind: 'replaced', layer: tree.layerOf(node) };
}
