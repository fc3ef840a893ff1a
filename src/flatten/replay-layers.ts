/**
 * The tar output's first pass: every layer's headers replayed into a tree, file data skipped.
 * Files may get no node (streamed-files.ts): each layer that can be read again lists its files
 * instead, and the data pass reads each one's header again and writes it where the plan put it.
 * A later entry that touches a listed file (the same name again, a path or hardlink through it,
 * its folder replaced or pruned) gives every listed file its node, in its own layer's order, and
 * is applied again; the layers after it are listed afresh. A layer on a large base that touches
 * the base so costs reading the base's headers a second time.
 */
import type { Layer, LayerFile } from '../image/types.js';
import { LentFileRanges } from '../stream/lent-file-ranges.js';
import { EntryReader } from '../tar/entry-at.js';
import { BLOCK } from '../tar/header.js';
import { applyEntry } from './apply-entry.js';
import { layerHeaders } from './layer-entries.js';
import type { LayerSpools } from './layer-spools.js';
import { PLANNING_SINK, type TreeSink } from './sink.js';
import { lastName, listingSink, StreamedFiles } from './streamed-files.js';
import { StreamConflict, StreamedNames } from './streamed-names.js';
import { FsTree } from './tree.js';

/**
 * TURN_MS is how long the first pass runs before it gives the event loop a turn. A plain layer's
 * headers are read synchronously, so without one a signal's handler (Ctrl-C) waited for the
 * whole pass: 5 s of a million files.
 */
const TURN_MS = 50;

/** NodeRange is the node numbers from `from` up to `end`. */
export type NodeRange = [from: number, end: number];

/** Replayed is the tree of every layer's headers, and the first node number each layer made. */
export interface Replayed {
  tree: FsTree;
  /** starts[i] is the first node layer i made; one more, the tree's count at the end. */
  starts: number[];
  /** withSparse holds the layers with a sparse file: their data is read through the tar reader, which expands it. */
  withSparse: Set<number>;
  /** listed holds, by layer, the files still listed without a node. */
  listed: Map<number, StreamedFiles>;
  /**
   * kept holds, by layer, the nodes its listed files got when one was touched: made among a later layer's nodes, and
   * before (in the layer's order) the files it made after that.
   */
  kept: Map<number, NodeRange>;
  /** nodeRanges[i] holds the nodes layer i made, in its entry order: what it kept, then its own, less others' kept. */
  nodeRanges: NodeRange[][];
}

/**
 * ReplayOptions: `spools` keeps the layers that must be read whole; `listFrom`, given, lists files
 * (streamed-files.ts) and gives the file layer `index`'s entries read so far are in.
 */
export interface ReplayOptions {
  spools?: LayerSpools;
  listFrom?: (index: number) => LayerFile | undefined;
}

/** Listing is the listed files of the layers since the last touch, and their fingerprints. */
interface Listing {
  names: StreamedNames;
  files: Map<number, StreamedFiles>;
}

/**
 * keepNodes gives layer `layer`'s listed files their nodes, in their order, each read again from
 * `file`. None's folder was taken out or its name taken since, as that would have thrown. Without
 * a file (a spool that could not be written) it throws StreamConflict, for the caller to replay
 * without listing.
 */
function keepNodes(tree: FsTree, files: StreamedFiles, file: LayerFile | undefined, layer: number, where: string) {
  if (files.count === 0) return;
  if (file === undefined) throw new StreamConflict();
  const ranges = new LentFileRanges(file.handle.fd, file.start, file.size);
  const reader = new EntryReader((offset, length) => ranges.lend(offset, length), where);
  for (let index = 0; index < files.count; index++) {
    const { entry, data } = reader.at(files.headerOf(index));
    tree.create(files.folderOf(index), lastName(entry.path), layer, 'file', entry, data / BLOCK);
  }
}

/** replayLayers applies every layer's entries to a fresh tree, with data skipped. */
export async function replayLayers(
  layers: Layer[],
  signal?: AbortSignal,
  options: ReplayOptions = {},
): Promise<Replayed> {
  const tree = new FsTree();
  const starts: number[] = [];
  const withSparse = new Set<number>();
  const listed = new Map<number, StreamedFiles>();
  const kept = new Map<number, NodeRange>();
  let listing: Listing | undefined;
  /** keepAll gives every listed file its node: the tree holds every name again. */
  const keepAll = (): void => {
    tree.streamed = undefined;
    for (const [index, files] of listing?.files ?? []) {
      const from = tree.count;
      const layer = layers[index] as Layer;
      keepNodes(tree, files, options.listFrom?.(index), index, layer.where);
      kept.set(index, [from, tree.count]);
      listed.delete(index);
    }
    listing = undefined;
  };
  let turnAt = performance.now() + TURN_MS;
  for (const [index, layer] of layers.entries()) {
    starts.push(tree.count);
    const context: { tree: FsTree; sink: TreeSink; layer: number; where: string } = {
      tree,
      sink: PLANNING_SINK,
      layer: index,
      where: layer.where,
    };
    // A layer with a path prefix (an ACI's) is not listed: its entries' names are not its headers'.
    if (options.listFrom !== undefined && layer.pathPrefix === undefined) {
      listing ??= { names: new StreamedNames(), files: new Map() };
      listing.names.nextLayer();
      const files = new StreamedFiles();
      listing.files.set(index, files);
      listed.set(index, files);
      context.sink = listingSink(files, tree);
      tree.streamed = listing.names;
    } else keepAll();
    for await (const item of layerHeaders(layer, signal, options.spools)) {
      if (item.sparse !== undefined) withSparse.add(index);
      try {
        await applyEntry(context, item);
      } catch (error) {
        if (!(error instanceof StreamConflict) || listing === undefined) throw error;
        keepAll();
        context.sink = PLANNING_SINK;
        await applyEntry(context, item);
      }
      if ((item.ordinal & 1023) === 1023 && performance.now() > turnAt) {
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        turnAt = performance.now() + TURN_MS;
      }
    }
  }
  tree.streamed = undefined;
  starts.push(tree.count);
  return { tree, starts, withSparse, listed, kept, nodeRanges: nodeRangesOf(starts, kept) };
}

/** nodeRangesOf is each layer's nodes in its entry order: the range it kept, then its own range less every kept one. */
function nodeRangesOf(starts: number[], kept: Map<number, NodeRange>): NodeRange[][] {
  const holes = [...kept.values()].sort((a, b) => a[0] - b[0]);
  return starts.slice(0, -1).map((from, index) => {
    const ranges: NodeRange[] = [];
    const own = kept.get(index);
    if (own !== undefined) ranges.push(own);
    let at = from;
    const end = starts[index + 1] as number;
    for (const [holeFrom, holeEnd] of holes) {
      if (holeEnd <= at || holeFrom >= end) continue;
      if (holeFrom > at) ranges.push([at, holeFrom]);
      at = holeEnd;
    }
    if (at < end) ranges.push([at, end]);
    return ranges;
  });
}
