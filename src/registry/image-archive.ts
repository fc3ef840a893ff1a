/**
 * `docker://REF` as an archive: the image pulled from its registry into the local store (only
 * what the store lacks is downloaded), then read from there like any other source.
 */
import { join } from 'node:path';
import { cacheRoot } from '../cache/cache-root.js';
import { BlobStore } from './blob-store.js';
import { chooseCredentials, type Credentials } from './credentials.js';
import { type PullProgress, pullImage } from './pull.js';
import { parseReference, REGISTRY_PREFIX } from './reference.js';
import type { ImageArchive, Platform } from '../image/types.js';

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
  const credentials = chooseCredentials(reference.registry, options);
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
