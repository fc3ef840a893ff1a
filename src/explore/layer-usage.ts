/**
 * What each layer costs the final rootfs, as dive reports an image's efficiency: its entry
 * count, and the file bytes it adds that the rootfs no longer shows (files a later layer
 * deleted or replaced). A file still reachable through a hardlink is not wasted.
 */
import type { Layer } from '../image/types.js';
import { reachableInodes, walkLayers } from './layer-walk.js';

/** LayerUsage is one layer's count of entries and its wasted bytes. */
export interface LayerUsage {
  entries: number;
  wastedBytes: number;
}

/** layerUsage walks the layers once and returns each one's usage, bottom first. */
export async function layerUsage(layers: readonly Layer[], signal?: AbortSignal): Promise<LayerUsage[]> {
  const usage: LayerUsage[] = layers.map(() => ({ entries: 0, wastedBytes: 0 }));
  const files: Array<{ layer: number; inode: number; size: number }> = [];
  const { tree } = await walkLayers(
    layers,
    (walked) => {
      const counted = usage[walked.layer] as LayerUsage;
      counted.entries += 1;
      if (walked.entry.type === 'file' && walked.inode !== undefined)
        files.push({ layer: walked.layer, inode: walked.inode, size: walked.entry.size });
    },
    signal,
  );
  const reachable = reachableInodes(tree);
  for (const file of files) if (!reachable.has(file.inode)) (usage[file.layer] as LayerUsage).wastedBytes += file.size;
  return usage;
}
