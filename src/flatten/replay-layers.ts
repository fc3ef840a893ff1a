/**
 * The tar output's first pass: every layer's headers replayed into a tree, file data skipped. The
 * top layer's files may get no node (streamed-files.ts): nothing above can shadow them, so the
 * data pass reads each one's headers again and writes it where the plan put it.
 */
import type { Layer, LayerFile } from '../image/types.js';
import { LentFileRanges } from '../stream/lent-file-ranges.js';
import { EntryReader } from '../tar/entry-at.js';
import { BLOCK } from '../tar/header.js';
import { applyEntry } from './apply-entry.js';
import { layerHeaders } from './layer-entries.js';
import type { LayerSpools } from './layer-spools.js';
import { PLANNING_SINK } from './sink.js';
import { lastName, listingSink, StreamedFiles } from './streamed-files.js';
import { StreamConflict, StreamedNames } from './streamed-names.js';
import { FsTree } from './tree.js';

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
  /** top lists the top layer's files that got no node, when it was streamed; the rest of its files have nodes. */
  top?: { files: StreamedFiles; names: StreamedNames };
}

/**
 * ReplayOptions: `spools` keeps the layers that must be read whole; `streamTop`, given, streams
 * the top layer's files (streamed-files.ts) and gives the file its entries read so far are in.
 */
export interface ReplayOptions {
  spools?: LayerSpools;
  streamTop?: () => LayerFile | undefined;
}

/**
 * keepNodes gives the top layer's listed files their nodes after all, in their order, when a later
 * entry of the layer touches one (StreamConflict): each is read again from `file`. None's folder
 * was taken out or its name taken since, as a lookup of it would have thrown. Without a file (its
 * spool could not be written) it throws StreamConflict again, for the caller to replay keeping every name.
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
  let top: Replayed['top'];
  let turnAt = performance.now() + TURN_MS;
  for (const [index, layer] of layers.entries()) {
    starts.push(tree.count);
    const context = { tree, sink: PLANNING_SINK, layer: index, where: layer.where };
    if (options.streamTop !== undefined && index === layers.length - 1 && layer.pathPrefix === undefined) {
      top = { files: new StreamedFiles(), names: new StreamedNames() };
      context.sink = listingSink(top.files, tree);
      tree.streamed = top.names;
    }
    for await (const item of layerHeaders(layer, signal, options.spools)) {
      if (item.sparse !== undefined) withSparse.add(index);
      try {
        await applyEntry(context, item);
      } catch (error) {
        if (!(error instanceof StreamConflict) || top === undefined) throw error;
        // The layer keeps every name from here: its listed files get nodes, and the entry is applied again.
        tree.streamed = undefined;
        keepNodes(tree, top.files, options.streamTop?.(), index, layer.where);
        top = undefined;
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
  return { tree, starts, withSparse, top };
}
