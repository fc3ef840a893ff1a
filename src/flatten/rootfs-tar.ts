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
import { BLOCK, headerName, padding, readNumber } from '../tar/header.js';
import { type EncodedEntry, encodeEntry, END_OF_ARCHIVE } from '../tar/writer.js';
import { TruncatedError } from '../stream/byte-reader.js';
import { LentFileRanges } from '../stream/lent-file-ranges.js';
import { BadArchiveError, UndockerError } from '../errors.js';
import type { LayerFile } from '../image/types.js';
import { EntryReader } from '../tar/entry-at.js';
import { addedTreeChunks, type AddedTree, dropShadowed } from './added-tree.js';
import type { Warn } from './fs-ops.js';
import { layerEntries } from './layer-entries.js';
import { HeldLayers } from './held-layers.js';
import { LayerSpools } from './layer-spools.js';
import { type NodeRange, type Replayed, replayLayers } from './replay-layers.js';
import { isListedName, lastName, type StreamedFiles } from './streamed-files.js';
import { StreamConflict } from './streamed-names.js';
import { namesOf, nextCarrier, planTar, type TarPlan } from './tar-plan.js';
import { type FsTree, NO_XATTRS } from './tree.js';

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

/** changed says the entry whose data (or, for a listed file, `header`) starts at `block` read differently. */
function changed(where: string, block: number, what: 'data' | 'header' = 'data'): UndockerError {
  return new UndockerError(
    'UNDOCKER_BAD_ARCHIVE',
    `${where}: the entry whose ${what} starts at byte ${block * BLOCK} changed between two reads of the layer`,
  );
}

/** Carriers walks the file inodes whose data a layer writes, through its node ranges in turn. */
class Carriers {
  private range = 0;
  private at: number;

  constructor(
    private readonly tree: FsTree,
    private readonly plan: TarPlan,
    private readonly ranges: NodeRange[],
  ) {
    this.at = ranges[0]?.[0] ?? 0;
  }

  /** next is the next file inode to write; undefined past the last. */
  next(): number | undefined {
    for (let range = this.ranges[this.range]; range !== undefined; range = this.ranges[this.range]) {
      const found = nextCarrier(this.tree, this.plan, this.at, range[1]);
      if (found !== range[1]) {
        this.at = found + 1;
        return found;
      }
      this.range++;
      this.at = this.ranges[this.range]?.[0] ?? 0;
    }
    return undefined;
  }
}

/**
 * readAgain yields the data of layer `layer`'s file inodes, reading the layer whole through the
 * tar reader, its digests checked, and its entries walked beside those inodes (in data order, as
 * its node ranges are): for a layer with sparse files, or a compressed one that could not be spooled.
 */
async function* readAgain(
  tree: FsTree,
  plan: TarPlan,
  layer: Layer,
  carriers: Carriers,
  options: FlattenOptions,
): AsyncGenerator<Buffer> {
  let next = carriers.next();
  for await (const item of layerEntries(layer, options.signal, { lentChunks: true })) {
    const block = item.offset / BLOCK;
    if (next === undefined || tree.dataBlockOf(next) > block) continue;
    const inode = next;
    const size = tree.sizeOf(inode);
    if (tree.dataBlockOf(inode) < block || item.entry.size !== size || item.entry.type !== 'file')
      throw changed(layer.where, tree.dataBlockOf(inode));
    next = carriers.next();
    const names = namesOf(tree, plan, inode);
    const first = tree.pathOf(names[0] as number);
    yield encodeEntry(entryFor(tree, first, inode, 'file'));
    yield* item.body;
    yield PADDING.subarray(0, padding(size));
    options.progress?.bytes(size);
    for (let i = 1; i < names.length; i++) yield hardlink(tree, tree.pathOf(names[i] as number), inode, first);
  }
  options.progress?.layerDone();
  if (next !== undefined) throw changed(layer.where, tree.dataBlockOf(next));
}

/** rootfsTarChunks yields the flattened root filesystem as tar bytes, each chunk the caller's own. */
export async function* rootfsTarChunks(image: Image, options: FlattenOptions = {}): AsyncGenerator<Buffer> {
  for await (const piece of rootfsTarPieces(image, options)) yield Buffer.from(piece);
}

/**
 * listedEntry is the entry to write for a layer's listed file `index`, and where its data starts;
 * no entry if the bytes are not a file's any more. A file's own header (no extension
 * header before it, as most have) gives its name and size and the plan its metadata: reading the
 * whole header again made a flatten of 300,000 files a quarter slower. Any other is read whole.
 */
function listedEntry(
  tree: FsTree,
  files: StreamedFiles,
  index: number,
  ranges: LentFileRanges,
  reader: EntryReader,
): { entry: EncodedEntry | undefined; data: number } {
  const at = files.headerOf(index);
  const folder = files.folderOf(index);
  const block = ranges.lend(at, BLOCK);
  const flag = block[156];
  if (flag !== FILE_FLAG && flag !== OLD_FILE_FLAG && flag !== CONTIGUOUS_FLAG) {
    const { entry, data } = reader.at(at);
    const name = lastName(entry.path);
    const file = entry.type === 'file' && isListedName(name);
    return { entry: file ? { ...entry, path: tree.pathIn(folder, name), linkname: '' } : undefined, data };
  }
  const name = lastName(headerName(block));
  const size = readNumber(block, 124, 12);
  // A file changed in place since the plan may name anything: never `..`, whatever its digest says at the end.
  if (Number.isNaN(size) || !isListedName(name)) return { entry: undefined, data: at + BLOCK };
  const meta = tree.metaNumbered(files.metaOf(index));
  const entry: EncodedEntry = {
    path: tree.pathIn(folder, name),
    type: 'file',
    mode: meta.mode,
    uid: meta.uid,
    gid: meta.gid,
    uname: meta.uname,
    gname: meta.gname,
    size,
    mtime: meta.mtime,
    paxMtime: meta.paxMtime,
    linkname: '',
    devmajor: meta.devmajor,
    devminor: meta.devminor,
    xattrs: NO_XATTRS, // xattrs come in PAX records only, which an extension header holds
  };
  return { entry, data: at + BLOCK };
}

/** The type flags of a file's own header: '0', the old '\0', and '7' (contiguous). */
const FILE_FLAG = 0x30;
const OLD_FILE_FLAG = 0;
const CONTIGUOUS_FLAG = 0x37;

/** Joiner puts a small file's header, data and padding in one piece: a piece costs more than copying a few KB. */
class Joiner {
  private joined = Buffer.allocUnsafeSlow(2 * JOIN_BYTES);

  /** join returns the piece, lent until the next call. */
  join(header: Buffer, data: Iterable<Buffer>, size: number): Buffer {
    const length = header.length + size + padding(size);
    if (this.joined.length < length) this.joined = Buffer.allocUnsafeSlow(length);
    let filled = header.copy(this.joined, 0);
    for (const piece of data) filled += piece.copy(this.joined, filled);
    return this.joined.fill(0, filled, length).subarray(0, length);
  }
}

/**
 * replayForTar replays the layers as `read` reads them, their files listed (streamed-files.ts)
 * unless undocker adds a tree of its own, which must see every name. If a listed layer's spool
 * could not be written, its files need nodes, and the layers are replayed again so, into fresh spools.
 */
async function replayForTar(
  layers: Layer[],
  read: Layer[],
  held: HeldLayers,
  spools: { current: LayerSpools },
  options: FlattenOptions,
): Promise<Replayed> {
  // A spool is a part while it is written and a file once finished: after the replay, only finished ones are left.
  const fileOf = (index: number): LayerFile | undefined =>
    held.plainFileOf(layers[index] as Layer) ??
    spools.current.fileOf(read[index] as Layer) ??
    spools.current.partOf(read[index] as Layer);
  if (options.added === undefined && !options.keepWhiteouts) {
    try {
      const replayed = await replayLayers(read, options.signal, {
        spools: spools.current,
        listFrom: fileOf,
      });
      if ([...replayed.listed].every(([index, files]) => files.count === 0 || fileOf(index) !== undefined))
        return replayed;
    } catch (error) {
      if (!(error instanceof StreamConflict)) throw error;
    }
    await spools.current.close();
    spools.current = new LayerSpools();
  }
  return replayLayers(read, options.signal, { spools: spools.current });
}

/**
 * rootfsTarPieces yields the flattened root filesystem as tar bytes, in pieces that are lent:
 * each is valid until the next is asked for, as file data is read through one reused window.
 */
export async function* rootfsTarPieces(image: Image, options: FlattenOptions = {}): AsyncGenerator<Buffer> {
  // One generator, not one delegating to another: a million pieces would each pay the extra hop.
  const layers = options.layers ?? image.layers;
  const spools = { current: new LayerSpools() };
  const held = await HeldLayers.open(layers);
  try {
    const headerLayers = layers.map((layer) => held.throughHeld(layer));
    const { tree, withSparse, listed, nodeRanges } = await replayForTar(layers, headerLayers, held, spools, options);
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
    const joiner = new Joiner();
    for (const [index, original] of layers.entries()) {
      const read = headerLayers[index] as Layer; // what the first pass read, and spooled
      // A layer's file inodes were numbered in its entry order (replay-layers.ts).
      const carriers = new Carriers(tree, plan, nodeRanges[index] as NodeRange[]);
      // A layer kept in a file (a plain one held open, or a spool) has its surviving data read
      // where the first pass found it, no header parsed again; any other is read whole, again.
      const file = withSparse.has(index) ? undefined : (held.plainFileOf(original) ?? spools.current.fileOf(read));
      const files = listed.get(index);
      if (file === undefined) {
        // Never so: a sparse file is not listed but kept, and a layer listed with no spool is replayed (replayForTar).
        if ((files?.count ?? 0) > 0) throw new Error(`${original.where}: listed files, and no file to read them from`);
        yield* readAgain(tree, plan, spools.current.dataLayer(read), carriers, options);
        continue;
      }
      const ranges = new LentFileRanges(file.handle.fd, file.start, file.size, options.signal);
      for (let inode = carriers.next(); inode !== undefined; inode = carriers.next()) {
        const size = tree.sizeOf(inode);
        const names = namesOf(tree, plan, inode);
        const first = tree.pathOf(names[0] as number);
        const header = encodeEntry(entryFor(tree, first, inode, 'file'));
        const data = ranges.pieces(tree.dataBlockOf(inode) * BLOCK, size);
        try {
          if (size <= JOIN_BYTES) yield joiner.join(header, data, size);
          else {
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
      // The files the layer listed, with no node (streamed-files.ts).
      const reader = new EntryReader((offset, length) => ranges.lend(offset, length), original.where);
      for (let i = 0; i < (files?.count ?? 0); i++) {
        const at = (files as StreamedFiles).headerOf(i);
        try {
          const { entry, data } = listedEntry(tree, files as StreamedFiles, i, ranges, reader);
          if (entry === undefined) throw changed(original.where, at / BLOCK, 'header');
          const header = encodeEntry(entry);
          const pieces = ranges.pieces(data, entry.size);
          if (entry.size <= JOIN_BYTES) yield joiner.join(header, pieces, entry.size);
          else {
            yield header;
            for (const piece of pieces) yield piece;
            yield PADDING.subarray(0, padding(entry.size));
          }
          options.progress?.bytes(entry.size);
        } catch (error) {
          if (error instanceof TruncatedError || error instanceof BadArchiveError)
            throw changed(original.where, at / BLOCK, 'header');
          throw error;
        }
      }
      // Where the digests are checked: a spool's were, as it was written; a plain layer's, here.
      await held.verify(original);
      options.progress?.layerDone();
    }
    if (options.added !== undefined) yield* addedTreeChunks(options.added);
    yield END_OF_ARCHIVE;
  } finally {
    await Promise.all([spools.current.close(), held.close()]);
  }
}
