/**
 * writeOciArchive writes an `oci-archive`: an OCI image layout (image-layout spec) in a tar,
 * with the config, the manifest and uncompressed layer blobs, and one index entry per tag
 * (`org.opencontainers.image.ref.name`, as skopeo and buildah read it).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { normalizeRepository, parseImageName } from '../image/names.js';
import type { ImageConfigFile } from '../image/types.js';
import { packArchive } from './archive-pack.js';

/** Media types of the OCI image spec. */
const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** OciArchiveImage is the image to write: a config that lists the layers' diff_ids, and the layer files. */
export interface OciArchiveImage {
  config: ImageConfigFile;
  tags: string[];
  layerPaths: string[];
  diffIds: string[];
}

function descriptor(mediaType: string, bytes: Buffer): { mediaType: string; digest: string; size: number } {
  return { mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
}

/** fullName is the name containerd records (`io.containerd.image.name`): docker.io/library/busybox:latest. */
function fullName(tag: string): string {
  const { repository = '', tag: version } = parseImageName(tag);
  const short = normalizeRepository(repository);
  const qualified = /^[^/]+[.:][^/]*\//.test(short) || short.startsWith('localhost/') ? short : `docker.io/${short.includes('/') ? short : `library/${short}`}`;
  return `${qualified}:${version}`;
}

/** writeOciArchive streams the archive into `output`; it returns the manifest digest. */
export async function writeOciArchive(output: Writable, image: OciArchiveImage): Promise<{ manifestDigest: string; configDigest: string }> {
  const configBytes = Buffer.from(JSON.stringify(image.config));
  const config = descriptor(MEDIA.config, configBytes);
  const layers = await Promise.all(image.layerPaths.map(async (path, i) => ({ mediaType: MEDIA.layer, digest: image.diffIds[i] as string, size: (await stat(path)).size })));
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers }));
  const manifest = descriptor(MEDIA.manifest, manifestBytes);
  const platform = { architecture: image.config.architecture, os: image.config.os, ...(image.config.variant ? { variant: image.config.variant } : {}) };
  const index = {
    schemaVersion: 2, mediaType: MEDIA.index,
    manifests: image.tags.length === 0
      ? [{ ...manifest, platform }]
      : image.tags.map((tag) => ({ ...manifest, platform, annotations: { 'io.containerd.image.name': fullName(tag), 'org.opencontainers.image.ref.name': tag } })),
  };
  const blob = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  await packArchive(output, async ({ add, addFile }) => {
    await add('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    const written = new Set<string>();
    for (const [i, path] of image.layerPaths.entries()) {
      const digest = image.diffIds[i] as string;
      if (written.has(digest)) continue;
      written.add(digest);
      await addFile(blob(digest), path);
    }
    await add(blob(config.digest), configBytes);
    await add(blob(manifest.digest), manifestBytes);
    await add('index.json', Buffer.from(JSON.stringify(index)));
  });
  return { manifestDigest: manifest.digest, configDigest: config.digest };
}
