/**
 * One layer unpacked as an overlayfs diff, the folder Docker's overlay2 keeps per layer. It is
 * applied through an overlay whose lower layers are the diffs below and whose upper layer is the
 * new diff, so the kernel writes what overlayfs reads back: a whiteout for each deletion, an
 * opaque folder for one made anew, the folders above what the layer adds. The first layer has
 * nothing below: it is applied to its diff directly. What a diff cannot hold ends it with
 * OverlayLimitError (layer-tree.ts finds what).
 */
import type { Image } from '../image/types.js';
import { applyLayer } from './apply-layer.js';
import { DirectorySink } from './directory-sink.js';
import type { Warn } from './fs-ops.js';
import { APPLIED, LayerTree } from './layer-tree.js';
import { OverlayLimitError } from './overlay-limit.js';
import type { FlattenProgress } from './rootfs-tar.js';

/** LayerDiffOptions carry the abort signal, warnings, a progress display and the name of the diff in errors. */
export interface LayerDiffOptions {
  signal?: AbortSignal | undefined;
  warn?: Warn | undefined;
  progress?: FlattenProgress | undefined;
  output?: string;
}

/**
 * unpackLayerDiff applies `layer` to `target`: the mounted overlay of the diffs below (`below`), or the empty diff
 * of a first layer.
 */
export async function unpackLayerDiff(
  layer: Image['layers'][number],
  target: string,
  below: boolean,
  options: LayerDiffOptions = {},
): Promise<void> {
  const tree = new LayerTree(below ? target : undefined);
  const sinkOptions = {
    ignoreErrors: false,
    warn: options.warn ?? (() => undefined),
    output: options.output ?? target,
  };
  const sink = new DirectorySink(tree, target, sinkOptions, () => layer.where);
  try {
    await applyLayer({ tree, sink, layer: APPLIED, where: layer.where }, layer, options);
    // Setting folder times lists only what the layer touched, not the whole tree below.
    tree.stopReading();
    await sink.finish();
    options.signal?.throwIfAborted();
  } catch (error) {
    await sink.stop(); // the writer must be gone before its folder is removed
    // The tree names the entry; the reason an image is flattened names its layer too.
    if (error instanceof OverlayLimitError) throw new OverlayLimitError(`${layer.where}: ${error.message}`);
    throw error;
  }
}
