/**
 * Pairing a config's history with its layers: entries marked `empty_layer` made no layer.
 */
import type { ImageConfigFile } from './types.js';

/** layerHistory returns the `created_by` line of each non-empty history entry, bottom first. */
export function layerHistory(config: ImageConfigFile, layerCount: number): Array<string | undefined> {
  const lines = (config.history ?? []).filter((entry) => entry.empty_layer !== true).map((entry) => entry.created_by);
  // A history that does not match the layers is better shown as nothing than shown wrong.
  return lines.length === layerCount ? lines : new Array<undefined>(layerCount).fill(undefined);
}

/** platformOf reads the platform a config declares, if it declares one. */
export function platformOf(
  config: ImageConfigFile,
): { os: string; architecture: string; variant?: string } | undefined {
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') return undefined;
  return { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
}
