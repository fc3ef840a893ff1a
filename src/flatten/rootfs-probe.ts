/**
 * A look at a few files of the flattened image without writing it anywhere: the layers'
 * headers are replayed into a tree (seeking where it can), then only the layers holding the
 * wanted files are read for their data. For /etc/passwd and the like, not for bulk data.
 */
import { UndockerError } from '../errors.js';
import type { Image, Layer, RootfsProbe } from '../image/types.js';
import { toDisplay } from '../tar/entry.js';
import { BLOCK } from '../tar/header.js';
import { layerEntries } from './layer-entries.js';
import { replayLayers } from './replay-layers.js';
import type { FsTree } from './tree.js';

/** ProbeOptions bound what is read. */
export interface ProbeOptions {
  layers?: Layer[];
  signal?: AbortSignal;
  /** largest file read, in bytes (default 4 MiB) */
  maxBytes?: number;
}

function lookup(tree: FsTree, path: string): number | undefined {
  try {
    return tree.walk(path.split('/'), { followLast: true });
  } catch {
    return undefined; // a loop or a file used as a directory: not there
  }
}

async function readData(
  layer: Layer,
  wanted: Map<number, number>,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<Map<number, Buffer>> {
  const found = new Map<number, Buffer>();
  for await (const item of layerEntries(layer, signal)) {
    const inode = wanted.get(item.offset / BLOCK);
    if (inode === undefined) continue;
    if (item.entry.size > maxBytes) {
      throw new UndockerError(
        'UNDOCKER_UNSUPPORTED',
        `${layer.where}: ${toDisplay(item.entry.path)} is ${item.entry.size} bytes, over the ${maxBytes} this reads`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of item.body) chunks.push(chunk);
    found.set(inode, Buffer.concat(chunks));
  }
  return found;
}

/** probeRootfs flattens `image`'s metadata and reads the files in `read`. */
export async function probeRootfs(image: Image, read: string[], options: ProbeOptions = {}): Promise<RootfsProbe> {
  const layers = options.layers ?? image.layers;
  const { tree } = await replayLayers(layers, options.signal);
  const inodeAt = (path: string): number | undefined => {
    const node = lookup(tree, path);
    return node === undefined ? undefined : tree.inodeOf(node);
  };
  // Inodes of the files to read, by the layer holding their data and where it starts there.
  const byLayer = new Map<number, Map<number, number>>();
  for (const path of read) {
    const inode = inodeAt(path);
    if (inode === undefined || tree.kindOf(inode) !== 'file') continue;
    const layer = tree.dataLayerOf(inode);
    const blocks = byLayer.get(layer) ?? new Map<number, number>();
    blocks.set(tree.dataBlockOf(inode), inode);
    byLayer.set(layer, blocks);
  }
  const data = new Map<number, Buffer>();
  for (const [index, wanted] of byLayer) {
    const found = await readData(layers[index] as Layer, wanted, options.maxBytes ?? 4 * 1024 * 1024, options.signal);
    for (const [inode, bytes] of found) data.set(inode, bytes);
  }
  return {
    exists: (path) => lookup(tree, path) !== undefined,
    text: (path) => {
      const inode = inodeAt(path);
      return inode === undefined ? undefined : data.get(inode)?.toString('utf8');
    },
  };
}
