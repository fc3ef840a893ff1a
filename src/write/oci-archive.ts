/**
 * OCI image layouts (image-layout spec), as a tar (`oci-archive`) or a directory: blobs, one
 * index entry per tag (`org.opencontainers.image.ref.name`, as skopeo and buildah read it, and
 * `io.containerd.image.name`). An imported image gets a new OCI manifest with uncompressed
 * layers; a pulled one keeps its manifest and blobs byte for byte.
 */
import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { sha256Of } from '../image/digest.js';
import { OCI_MEDIA } from '../image/media-types.js';
import { normalizeRepository, parseImageName } from '../image/names.js';
import type { ImageConfigFile, Platform } from '../image/types.js';
import { packArchive, type Packer } from './archive-pack.js';

/** LayoutImage is what goes into a layout: the manifest and config as bytes, the layers as files. */
export interface LayoutImage {
  manifest: { bytes: Buffer; mediaType: string };
  configBytes: Buffer;
  layers: Array<{ path: string; digest: string }>;
  tags: string[];
  platform?: Platform;
}

/** OciArchiveImage is an imported image: a config that lists the layers' diff_ids, and the uncompressed layer files. */
export interface OciArchiveImage {
  config: ImageConfigFile;
  tags: string[];
  layerPaths: string[];
  diffIds: string[];
}

/** fullName is the name containerd records (`io.containerd.image.name`): docker.io/library/busybox:latest. */
function fullName(tag: string): string {
  const { repository = '', tag: version } = parseImageName(tag);
  const short = normalizeRepository(repository);
  const qualified =
    /^[^/]+[.:][^/]*\//.test(short) || short.startsWith('localhost/')
      ? short
      : `docker.io/${short.includes('/') ? short : `library/${short}`}`;
  return `${qualified}:${version}`;
}

/** fillLayout adds an image's blobs and index to a layout being written. */
export async function fillLayout(packer: Packer, image: LayoutImage): Promise<{ manifestDigest: string }> {
  const manifest = {
    mediaType: image.manifest.mediaType,
    digest: sha256Of(image.manifest.bytes),
    size: image.manifest.bytes.length,
  };
  const platform = image.platform ? { platform: image.platform } : {};
  const index = {
    schemaVersion: 2,
    mediaType: OCI_MEDIA.index,
    manifests:
      image.tags.length === 0
        ? [{ ...manifest, ...platform }]
        : image.tags.map((tag) => ({
            ...manifest,
            ...platform,
            annotations: { 'io.containerd.image.name': fullName(tag), 'org.opencontainers.image.ref.name': tag },
          })),
  };
  const blob = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  await packer.add('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  const written = new Set<string>();
  for (const layer of image.layers) {
    if (written.has(layer.digest)) continue;
    written.add(layer.digest);
    await packer.addFile(blob(layer.digest), layer.path);
  }
  await packer.add(blob(sha256Of(image.configBytes)), image.configBytes);
  await packer.add(blob(manifest.digest), image.manifest.bytes);
  await packer.add('index.json', Buffer.from(JSON.stringify(index)));
  return { manifestDigest: manifest.digest };
}

/** writeOciArchive streams an imported image as an oci-archive into `output`. */
export async function writeOciArchive(
  output: Writable,
  image: OciArchiveImage,
): Promise<{ manifestDigest: string; configDigest: string }> {
  const configBytes = Buffer.from(JSON.stringify(image.config));
  const layers = await Promise.all(
    image.layerPaths.map(async (path, i) => ({
      mediaType: OCI_MEDIA.layer,
      digest: image.diffIds[i] as string,
      size: (await stat(path)).size,
    })),
  );
  const config = { mediaType: OCI_MEDIA.config, digest: sha256Of(configBytes), size: configBytes.length };
  const manifestBytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA.manifest, config, layers }),
  );
  const platform = {
    architecture: image.config.architecture ?? 'amd64',
    os: image.config.os ?? 'linux',
    ...(image.config.variant ? { variant: image.config.variant } : {}),
  };
  let manifestDigest = '';
  await packArchive(output, async (packer) => {
    ({ manifestDigest } = await fillLayout(packer, {
      manifest: { bytes: manifestBytes, mediaType: OCI_MEDIA.manifest },
      configBytes,
      tags: image.tags,
      platform,
      layers: image.layerPaths.map((path, i) => ({ path, digest: image.diffIds[i] as string })),
    }));
  });
  return { manifestDigest, configDigest: config.digest };
}
