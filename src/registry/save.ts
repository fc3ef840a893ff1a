/**
 * Writing a pulled image back out of the store, with no network: a `docker save` archive (the
 * registry's layer blobs as layer.tar, which docker load decompresses; the config byte for byte,
 * so the image id is the registry's) or an OCI layout directory (the manifest and blobs byte for
 * byte, hard-linked from the store where they can be).
 */
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { directoryPacker } from '../write/archive-pack.js';
import { writeDockerArchive } from '../write/docker-archive.js';
import { OCI_MEDIA } from '../image/media-types.js';
import { fillLayout } from '../write/oci-archive.js';
import { BadArchiveError } from '../errors.js';
import { platformOf } from '../image/layer-history.js';
import type { ImageConfigFile } from '../image/types.js';
import type { BlobStore } from './blob-store.js';
import type { Descriptor } from './manifests.js';

/** StoredImage is a pulled image as the store holds it. */
export interface StoredImage {
  manifestBytes: Buffer;
  manifest: { mediaType?: string; config?: Descriptor; layers?: Descriptor[] };
  configBytes: Buffer;
  config: ImageConfigFile;
}

/** readStoredImage reads manifest `digest` and its config from the store. */
export async function readStoredImage(store: BlobStore, digest: string): Promise<StoredImage> {
  const manifestBytes = await readFile(store.path(digest));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as StoredImage['manifest'];
  if (manifest.config?.digest === undefined) throw new BadArchiveError(`stored manifest ${digest}: no config`);
  const configBytes = await readFile(store.path(manifest.config.digest));
  return { manifestBytes, manifest, configBytes, config: JSON.parse(configBytes.toString('utf8')) as ImageConfigFile };
}

/** saveDockerArchive writes a stored image as a docker save archive tagged `tags`. */
export async function saveDockerArchive(
  store: BlobStore,
  image: StoredImage,
  tags: string[],
  output: Writable,
): Promise<void> {
  const layers = image.manifest.layers ?? [];
  await writeDockerArchive(output, {
    config: image.config,
    configBytes: image.configBytes,
    repoTags: tags,
    layerPaths: layers.map((layer) => store.path(layer.digest)),
    diffIds: image.config.rootfs?.diff_ids ?? [],
  });
}

/** saveOciLayout fills directory `root` with an OCI layout of a stored image tagged `tags`. */
export async function saveOciLayout(store: BlobStore, image: StoredImage, tags: string[], root: string): Promise<void> {
  const platform = platformOf(image.config);
  await fillLayout(directoryPacker(root), {
    manifest: { bytes: image.manifestBytes, mediaType: image.manifest.mediaType ?? OCI_MEDIA.manifest },
    configBytes: image.configBytes,
    tags,
    ...(platform ? { platform } : {}),
    layers: (image.manifest.layers ?? []).map((layer) => ({ path: store.path(layer.digest), digest: layer.digest })),
  });
}
