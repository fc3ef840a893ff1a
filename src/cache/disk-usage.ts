/**
 * How much of the disk cached images take, split as `docker system df -v` splits it: the bytes
 * an image shares with other images (its layers they use too) and its own. A layer is counted
 * once however many images stack it.
 */
import type { CachedImage } from './image-cache.js';
import { readLayerRecord } from './layer-store.js';

/** ImageUsage is one image's size, and the part of it other images use too. */
export interface ImageUsage {
  size: number;
  shared: number;
  unique: number;
}

/** layerBytes is each layer's size, by chain id, for every layer of `images`. */
function layerBytes(root: string, images: readonly CachedImage[]): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const image of images)
    for (const chainId of image.layers ?? [])
      if (!bytes.has(chainId)) bytes.set(chainId, readLayerRecord(root, chainId)?.bytes ?? 0);
  return bytes;
}

/** imageUsage is the size of each image of `images`, by id; sharing is among these images only. */
export function imageUsage(root: string, images: readonly CachedImage[]): Map<string, ImageUsage> {
  const users = new Map<string, number>();
  for (const image of images)
    for (const chainId of new Set(image.layers ?? [])) users.set(chainId, (users.get(chainId) ?? 0) + 1);
  const bytes = layerBytes(root, images);
  return new Map(
    images.map((image) => {
      if (image.layers === undefined) return [image.id, { size: image.bytes, shared: 0, unique: image.bytes }];
      let shared = 0;
      let unique = 0;
      for (const chainId of new Set(image.layers)) {
        const size = bytes.get(chainId) ?? 0;
        if ((users.get(chainId) ?? 0) > 1) shared += size;
        else unique += size;
      }
      return [image.id, { size: shared + unique, shared, unique }];
    }),
  );
}

/** storedBytes is what `images` take on disk together: each layer once, each flattened tree. */
export function storedBytes(root: string, images: readonly CachedImage[]): number {
  let total = 0;
  for (const size of layerBytes(root, images).values()) total += size;
  for (const image of images) if (image.layers === undefined) total += image.bytes;
  return total;
}
