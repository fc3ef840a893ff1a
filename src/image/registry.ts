/**
 * `docker://REF` as an archive: the image pulled from its registry into the local store (only
 * what the store lacks is downloaded), then read from there like any other source.
 */
import { join } from 'node:path';
import { cacheRoot } from '../cache/cache-root.js';
import { BlobStore } from '../registry/blob-store.js';
import { credentialsFor, type Credentials } from '../registry/credentials.js';
import { type PullProgress, pullImage } from '../registry/pull.js';
import { parseReference, REGISTRY_PREFIX } from '../registry/reference.js';
import type { ImageArchive, Platform } from './types.js';

/** RegistryOptions say how to reach registries. */
export interface RegistryOptions {
  credentials?: Credentials;
  authFile?: string;
  insecure?: boolean;
  platform?: Platform;
  progress?: PullProgress;
  signal?: AbortSignal;
}

/** storeFor is the shared blob store under the undocker cache. */
export function storeFor(root = cacheRoot()): BlobStore {
  return new BlobStore(join(root, 'store'));
}

/** imageArchiveFromRegistry pulls `input` (docker://REF) and returns it as a one-image archive. */
export async function imageArchiveFromRegistry(input: string, options: RegistryOptions = {}): Promise<ImageArchive> {
  const reference = parseReference(input.slice(REGISTRY_PREFIX.length));
  const credentials = options.credentials ?? credentialsFor(reference.registry, options.authFile);
  const { image } = await pullImage(reference, {
    store: storeFor(),
    ...(credentials ? { credentials } : {}),
    ...(options.insecure ? { insecure: true } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { where: input, format: 'registry', images: [image], close: async () => undefined };
}
