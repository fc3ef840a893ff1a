/**
 * Every input undocker reads, behind one call: docker://REF through the registry client, any
 * other path (file, directory, `-`) through image/'s local sources.
 */
import type { Readable } from 'node:stream';
import { openLocalArchive } from '../image/open-archive.js';
import type { ImageArchive } from '../image/types.js';
import type { RegistryOptions } from './image-archive.js';
import { REGISTRY_PREFIX } from './reference.js';

/** OpenOptions supply standard input for `-`, a signal to stop, and how to reach registries. */
export interface OpenOptions {
  stdin?: Readable;
  signal?: AbortSignal;
  registry?: RegistryOptions;
}

/** openImageArchive opens `input` (a path, `-` for standard input, or docker://REF) and reads its images. */
export async function openImageArchive(input: string, options: OpenOptions = {}): Promise<ImageArchive> {
  const { registry, ...local } = options;
  if (!input.startsWith(REGISTRY_PREFIX)) return openLocalArchive(input, local);
  // The registry client loads only for docker:// inputs; files never need it.
  const { imageArchiveFromRegistry } = await import('./image-archive.js');
  return imageArchiveFromRegistry(input, { ...registry, ...(options.signal ? { signal: options.signal } : {}) });
}
