/**
 * Flattening to a tar stream, in two passes: the first replays every layer's headers into the
 * tree (seeking past file data where the layer is a plain tar in a file; decoding any other
 * layer once, into a spool, digests checked), the second copies the surviving file data from
 * where the first found it, layer by layer, and checks each plain layer's digests at its end
 * (hashed on a thread of their own since the first pass began: held-layers.ts). Memory holds
 * metadata, never file data.
 */
import type { Image, Layer } from '../image/types.js';
import type { TarEntry } from '../tar/entry.js';
import { BLOCK, padding } from '../tar/header.js';
import { type EncodedEntry, encodeEntry, END_OF_ARCHIVE } from '../tar/writer.js';
import { TruncatedError } from '../stream/byte-reader.js';
import { LentFileRanges } from '../stream/lent-file-ranges.js';
import { UndockerError } from '../errors.js';
import { addedTreeChunks, type AddedTree, dropShadowed } from './added-tree.js';
import { applyEntry } from './apply-entry.js';
import type { Warn } from './fs-ops.js';
import { layerEntries, layerHeaders } from './layer-entries.js';
import { HeldLayers } from './held-layers.js';
import { LayerSpools } from './layer-spools.js';
import { PLANNING_SINK } from './sink.js';
import { namesOf, nextCarrier, planTar, type TarPlan } from './tar-plan.js';
import { FsTree } from './tree.js';

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

/** JOIN_BYTES is the largest file whose header, data and padding are joined into one piece. */
const JOIN_BYTES = 64 * 1024;

/**
 * TURN_MS is how long the first pass runs before it gives the event loop a turn. A plain layer's
 * headers are read synchronously, so without one a signal's handler (Ctrl-C) waited for the
 * whole pass: 5 s of a million files.
 */
const TURN_MS = 50;

/** Replayed is the tree of every layer's headers, and the first node number each layer made. */
export interface Replayed {
  tree: FsTree;
  /** starts[i] is the first node layer i made; one more, the tree's count at the end. */
  starts: number[];
  /** withSparse holds the layers with a sparse file: their data is read through the tar reader, which expands it. */
  withSparse: Set<number>;
}

/**
 * replayLayers applies every layer's entries to a fresh tree, with data skipped; given `spools`,
 * layers that must be read whole are kept there.
 */
export async function replayLayers(layers: Layer[], signal?: AbortSignal, spools?: LayerSpools): Promise<Replayed> {
  const tree = new FsTree();
  const starts: number[] = [];
  const withSparse = new Set<number>();
  let turnAt = performance.now() + TURN_MS;
  for (const [index, layer] of layers.entries()) {
    starts.push(tree.count);
    const context = { tree, sink: PLANNING_SINK, layer: index, where: layer.where };
    for await (const item of layerHeaders(layer, signal, spools)) {
      if (item.sparse !== undefined) withSparse.add(index);
      await applyEntry(context, item);
      if ((item.ordinal & 1023) === 1023 && performance.now() > turnAt) {
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        turnAt = performance.now() + TURN_MS;
      }
    }
  }
  starts.push(tree.count);
  return { tree, starts, withSparse };
}

function entryFor(tree: FsTree, path: string, inode: number, type: TarEntry['type']): EncodedEntry {
  const meta = tree.metaOf(inode);
  // A literal, not newEntry's spread of defaults: this runs once per entry written.
  return {
    path,
    type,
    mode: meta.mode,
    uid: meta.uid,
    gid: meta.gid,
    uname: meta.uname,
    gname: meta.gname,
    size: type === 'file' ? tree.sizeOf(inode) : 0,
    mtime: meta.mtime,
    paxMtime: meta.paxMtime,
    linkname: type === 'symlink' ? meta.linkname : '',
    devmajor: meta.devmajor,
    devminor: meta.devminor,
    xattrs: meta.xattrs,
  };
}

function hardlink(tree: FsTree, path: string, inode: number, target: string): Buffer {
  return encodeEntry({ ...entryFor(tree, path, inode, 'hardlink'), linkname: target, size: 0 });
}

function changed(where: string, block: number): UndockerError {
  return new UndockerError(
    'UNDOCKER_BAD_ARCHIVE',
    `${where}: the entry whose data starts at byte ${block * BLOCK} changed between two reads of the layer`,
  );
}

/**
 * readAgain yields the data of layer `layer`'s file inodes from `from` to `end`, reading the
 * layer whole through the tar reader, its digests checked, and its entries walked beside those
 * inodes: for a layer with sparse files, or a compressed one that could not be spooled.
 */
async function* readAgain(
  tree: FsTree,
  plan: TarPlan,
  layer: Layer,
  from: number,
  end: number,
  options: FlattenOptions,
): AsyncGenerator<Buffer> {
  let next = nextCarrier(tree, plan, from, end);
  for await (const item of layerEntries(layer, options.signal, { lentChunks: true })) {
    const block = item.offset / BLOCK;
    if (next === end || tree.dataBlockOf(next) > block) continue;
    const inode = next;
    const size = tree.sizeOf(inode);
    if (tree.dataBlockOf(inode) < block || item.entry.size !== size || item.entry.type !== 'file')
      throw changed(layer.where, tree.dataBlockOf(inode));
    next = nextCarrier(tree, plan, inode + 1, end);
    const names = namesOf(tree, plan, inode);
    const first = tree.pathOf(names[0] as number);
    yield encodeEntry(entryFor(tree, first, inode, 'file'));
    yield* item.body;
    yield PADDING.subarray(0, padding(size));
    options.progress?.bytes(size);
    for (let i = 1; i < names.length; i++) yield hardlink(tree, tree.pathOf(names[i] as number), inode, first);
  }
  options.progress?.layerDone();
  if (next !== end) throw changed(layer.where, tree.dataBlockOf(next));
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
  const layers = options.layers ?? image.layers;
  const spools = new LayerSpools();
  const held = await HeldLayers.open(layers);
  try {
    const headerLayers = layers.map((layer) => held.throughHeld(layer));
    const { tree, starts, withSparse } = await replayLayers(headerLayers, options.signal, spools);
    if (options.added !== undefined) dropShadowed(tree, options.added, options.warn ?? (() => undefined));
    const plan = planTar(tree);
    // Hardlinked symlinks and devices: the first name is written whole, the others link to it.
    const firstNames = new Map<number, string>();
    for (const node of plan.metadataNodes) {
      const path = tree.pathOf(node);
      const inode = tree.inodeOf(node);
      const linked = tree.isLinked(inode);
      const first = linked ? firstNames.get(inode) : undefined;
      if (first !== undefined) yield hardlink(tree, path, inode, first);
      else {
        if (linked) firstNames.set(inode, path);
        yield encodeEntry(entryFor(tree, path, inode, tree.kindOf(inode)));
      }
    }
    options.progress?.start(layers.length, 0);
    let joined = Buffer.allocUnsafeSlow(2 * JOIN_BYTES); // lent, as every piece is
    for (const [index, original] of layers.entries()) {
      const read = headerLayers[index] as Layer; // what the first pass read, and spooled
      // A layer's file inodes were numbered in its entry order, from starts[index].
      const from = starts[index] as number;
      const end = starts[index + 1] as number;
      // A layer kept in a file (a plain one held open, or a spool) has its surviving data read
      // where the first pass found it, no header parsed again; any other is read whole, again.
      const file = withSparse.has(index) ? undefined : (held.plainFileOf(original) ?? spools.fileOf(read));
      if (file === undefined) {
        yield* readAgain(tree, plan, spools.dataLayer(read), from, end, options);
        continue;
      }
      const ranges = new LentFileRanges(file.handle.fd, file.start, file.size, options.signal);
      for (
        let inode = nextCarrier(tree, plan, from, end);
        inode !== end;
        inode = nextCarrier(tree, plan, inode + 1, end)
      ) {
        const size = tree.sizeOf(inode);
        const names = namesOf(tree, plan, inode);
        const first = tree.pathOf(names[0] as number);
        const header = encodeEntry(entryFor(tree, first, inode, 'file'));
        const data = ranges.pieces(tree.dataBlockOf(inode) * BLOCK, size);
        try {
          if (size <= JOIN_BYTES) {
            // A small file goes out as one piece, header, data and padding: a piece costs more than copying a few KB.
            const length = header.length + size + padding(size);
            if (joined.length < length) joined = Buffer.allocUnsafeSlow(length);
            let filled = header.copy(joined, 0);
            for (const piece of data) filled += piece.copy(joined, filled);
            yield joined.fill(0, filled, length).subarray(0, length);
          } else {
            yield header;
            for (const piece of data) yield piece;
            yield PADDING.subarray(0, padding(size));
          }
        } catch (error) {
          if (error instanceof TruncatedError) throw changed(original.where, tree.dataBlockOf(inode));
          throw error;
        }
        options.progress?.bytes(size);
        for (let i = 1; i < names.length; i++) yield hardlink(tree, tree.pathOf(names[i] as number), inode, first);
      }
      // Where the digests are checked: a spool's were, as it was written; a plain layer's, here.
      await held.verify(original);
      options.progress?.layerDone();
    }
    if (options.added !== undefined) yield* addedTreeChunks(options.added);
    yield END_OF_ARCHIVE;
  } finally {
    await Promise.all([spools.close(), held.close()]);
  }
}
