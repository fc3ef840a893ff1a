/**
 * Flattening to a tar stream, in two passes: the first replays every layer's headers into the
 * tree (seeking past file data where the layer is a plain tar in a file; decoding any other
 * layer once, into a spool, digests checked), the second reads every layer whole (a plain one
 * checking its digests) and copies the surviving file data through. Memory holds metadata,
 * never file data.
 */
import type { Image, Layer } from '../image/types.js';
import { newEntry, type TarEntry } from '../tar/entry.js';
import { padding } from '../tar/header.js';
import { encodeEntry, END_OF_ARCHIVE } from '../tar/writer.js';
import { UndockerError } from '../errors.js';
import { addedTreeChunks, type AddedTree, dropShadowed } from './added-tree.js';
import { applyEntry } from './apply-entry.js';
import type { Warn } from './fs-ops.js';
import { layerEntries, layerHeaders } from './layer-entries.js';
import { LayerSpools } from './layer-spools.js';
import { PLANNING_SINK } from './sink.js';
import { namesAt, planTar } from './tar-plan.js';
import { FsTree, type FsNode, type Inode } from './tree.js';

/** FlattenProgress hears how a flatten goes: layers to do, file bytes as they are written, each layer done. */
export interface FlattenProgress {
  start(layers: number, totalBytes: number): void;
  bytes(count: number): void;
  layerDone(): void;
}

/** FlattenOptions choose the layers and carry the abort signal and a progress display. */
export interface FlattenOptions {
  /** layers to flatten, bottom first; all of the image's by default. */
  layers?: Layer[];
  signal?: AbortSignal;
  progress?: FlattenProgress;
  /** added is undocker's own folder for a tree it writes (install, lxc-template); never for `rootfs` */
  added?: AddedTree;
  warn?: Warn;
  /** keepWhiteouts writes `.wh.` markers as plain files, deleting nothing: one layer as stored */
  keepWhiteouts?: boolean;
}

/** PADDING is the zero bytes after file data, lent as every piece is (a fresh buffer per file cost 5% of a flatten). */
const PADDING = Buffer.alloc(512);

/**
 * replayLayers applies every layer's entries to a fresh tree, with data skipped; given `spools`,
 * layers that must be read whole are kept there.
 */
export async function replayLayers(layers: Layer[], signal?: AbortSignal, spools?: LayerSpools): Promise<FsTree> {
  const tree = new FsTree();
  for (const [index, layer] of layers.entries()) {
    const context = { tree, sink: PLANNING_SINK, layer: index, where: layer.where };
    for await (const item of layerHeaders(layer, signal, spools)) await applyEntry(context, item);
  }
  return tree;
}

function entryFor(path: string, inode: Inode, type: TarEntry['type']): TarEntry {
  const meta = inode.meta;
  return newEntry({
    path,
    type,
    mode: meta.mode,
    uid: meta.uid,
    gid: meta.gid,
    uname: meta.uname,
    gname: meta.gname,
    size: type === 'file' ? inode.size : 0,
    mtime: meta.mtime,
    paxMtime: meta.paxMtime,
    linkname: type === 'symlink' ? meta.linkname : '',
    devmajor: meta.devmajor,
    devminor: meta.devminor,
    xattrs: new Map(meta.xattrs),
  });
}

function hardlink(path: string, inode: Inode, target: string): Buffer {
  return encodeEntry({ ...entryFor(path, inode, 'hardlink'), linkname: target, size: 0 });
}

/** rootfsTarChunks yields the flattened root filesystem as tar bytes, each chunk the caller's own. */
export async function* rootfsTarChunks(image: Image, options: FlattenOptions = {}): AsyncGenerator<Buffer> {
  for await (const piece of rootfsTarPieces(image, options)) yield Buffer.from(piece);
}

/**
 * rootfsTarPieces yields the flattened root filesystem as tar bytes, in pieces that are lent:
 * each is valid until the next is asked for, as file data is read through one reused window.
 */
export async function* rootfsTarPieces(image: Image, options: FlattenOptions = {}): AsyncGenerator<Buffer> {
  // One generator, not one delegating to another: a million pieces would each pay the extra hop.
  const spools = new LayerSpools();
  try {
    const layers = options.layers ?? image.layers;
    const tree = await replayLayers(layers, options.signal, spools);
    if (options.added !== undefined) dropShadowed(tree, options.added, options.warn ?? (() => undefined));
    const plan = planTar(tree);
    // Hardlinked symlinks and devices: the first name is written whole, the others link to it.
    const firstNames = new Map<Inode, string>();
    for (const node of plan.metadataNodes) {
      const path = tree.pathOf(node);
      const first = firstNames.get(node.inode);
      if (first !== undefined) yield hardlink(path, node.inode, first);
      else {
        firstNames.set(node.inode, path);
        yield encodeEntry(entryFor(path, node.inode, node.inode.kind));
      }
    }
    options.progress?.start(layers.length, 0);
    for (const [index, original] of layers.entries()) {
      // Every layer is read, even one whose data all went: this is where its digests are checked
      // (a spooled one's were, as it was spooled). Its file data is lent from a window reused for
      // the next read: pieces are lent in turn.
      const layer = spools.dataLayer(original);
      const carriers = plan.carriers.get(index) ?? [];
      let next = 0;
      for await (const item of layerEntries(layer, options.signal, { lentChunks: true })) {
        const names = namesAt(carriers, next, item.ordinal);
        if (names.length === 0) continue;
        next += names.length;
        const inode = (names[0] as FsNode).inode;
        if (item.entry.size !== inode.size || item.entry.type !== 'file') {
          throw new UndockerError(
            'UNDOCKER_BAD_ARCHIVE',
            `${layer.where}: entry ${item.ordinal} changed between two reads of the layer`,
          );
        }
        const [first, ...others] = names.map((node) => tree.pathOf(node)) as [string, ...string[]];
        yield encodeEntry(entryFor(first, inode, 'file'));
        yield* item.body;
        yield PADDING.subarray(0, padding(inode.size));
        options.progress?.bytes(inode.size);
        for (const other of others) yield hardlink(other, inode, first);
      }
      options.progress?.layerDone();
      if (next < carriers.length) {
        throw new UndockerError(
          'UNDOCKER_BAD_ARCHIVE',
          `${layer.where}: entry ${carriers[next]!.inode.ordinal} changed between two reads of the layer`,
        );
      }
    }
    if (options.added !== undefined) yield* addedTreeChunks(options.added);
    yield END_OF_ARCHIVE;
  } finally {
    await spools.close();
  }
}
