/**
 * The tar output's first pass: every layer's headers replayed into a tree, file data skipped.
 * Files may get no node: each layer that can be read again lists its files instead (lister.ts),
 * and the data pass reads each one's header again and writes it where the plan put it.
 */
import type { Layer, LayerFile } from '../image/types.js';
import { applyEntry } from './apply-entry.js';
import { layerHeaders } from './layer-entries.js';
import type { LayerSpools } from './layer-spools.js';
import { Lister, type NodeRange } from './lister.js';
import { PLANNING_SINK } from './sink.js';
import type { StreamedFiles } from './streamed-files.js';
import { StreamConflict } from './streamed-names.js';
import { FsTree } from './tree.js';

export type { NodeRange } from './lister.js';

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
 * (lister.ts) and gives the file layer `index`'s entries read so far are in.
 */
export interface ReplayOptions {
  spools?: LayerSpools;
  listFrom?: (index: number) => LayerFile | undefined;
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
  const { listFrom } = options;
  const lister = new Lister(tree, layers, (index) => listFrom?.(index), true);
  let turnAt = performance.now() + TURN_MS;
  for (const [index, layer] of layers.entries()) {
    starts.push(tree.count);
    const context = { tree, sink: PLANNING_SINK, layer: index, where: layer.where };
    lister.begin(index, listFrom !== undefined);
    for await (const item of layerHeaders(layer, signal, options.spools)) {
      if (item.sparse !== undefined) withSparse.add(index);
      try {
        await applyEntry(context, item);
      } catch (error) {
        if (!(error instanceof StreamConflict) || !lister.active) throw error;
        lister.keepAll();
        await applyEntry(context, item);
      }
      if ((item.ordinal & 1023) === 1023 && performance.now() > turnAt) {
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        turnAt = performance.now() + TURN_MS;
      }
    }
  }
  lister.end();
  starts.push(tree.count);
  return { tree, starts, withSparse, listed: lister.listed, kept: lister.kept, nodeRanges: lister.nodeRanges(starts) };
}
