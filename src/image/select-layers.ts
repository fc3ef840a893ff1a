/**
 * Choosing layers by what `undocker layers` shows: an id, a digest or diff_id, or a unique
 * prefix of one, with or without `sha256:`.
 */
import { UndockerError } from '../errors.js';
import type { Image, Layer } from './types.js';

function keysOf(layer: Layer): string[] {
  return [layer.id, layer.digest, layer.diffId]
    .filter((k): k is string => k !== undefined)
    .flatMap((k) => [k, k.replace(/^sha\d+:/, '')]);
}

/** selectLayers returns the named layers in the image's order, or throws naming the one that fails as `what`. */
export function selectLayers(image: Image, wanted: string[], what = '--layer'): Layer[] {
  const chosen = new Set<Layer>();
  for (const text of wanted) {
    const matches = image.layers.filter((layer) => keysOf(layer).some((key) => key.startsWith(text)));
    if (matches.length === 0)
      throw new UndockerError(
        'UNDOCKER_NOT_FOUND',
        `${what} ${text}: no layer of this image matches (see undocker layers)`,
      );
    if (matches.length > 1)
      throw new UndockerError(
        'UNDOCKER_AMBIGUOUS',
        `${what} ${text}: matches ${matches.length} layers; give more of the id`,
      );
    chosen.add(matches[0] as Layer);
  }
  return image.layers.filter((layer) => chosen.has(layer));
}
