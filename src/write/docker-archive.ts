/**
 * writeDockerArchive writes a `docker save` archive (the Docker 1.10+ manifest.json form that
 * every `docker load` accepts) from layer tars on disk (uncompressed, or gzip, which docker load
 * decompresses) and a config.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { ImageConfigFile } from '../image/types.js';
import { packArchive } from './archive-pack.js';

/** ArchiveImage describes one image to write. */
export interface ArchiveImage {
  /** config; its rootfs.diff_ids are filled in from the layers unless `diffIds` is given */
  config: ImageConfigFile;
  repoTags: string[];
  /** paths of uncompressed layer tars, bottom first */
  layerPaths: string[];
  /** diffIds, when known, are the layers' uncompressed digests (and the config already lists them) */
  diffIds?: string[];
  /** configBytes, when given, are written as the config instead of `config` serialised (a pulled image keeps its id) */
  configBytes?: Buffer;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

const hexOf = (digest: string): string => digest.slice(digest.indexOf(':') + 1);

/** writeDockerArchive streams the archive for `image` into `output`. */
export async function writeDockerArchive(output: Writable, image: ArchiveImage): Promise<{ imageId: string }> {
  const diffIds = image.diffIds ?? (await Promise.all(image.layerPaths.map(sha256OfFile)));
  const config: ImageConfigFile =
    image.diffIds !== undefined ? image.config : { ...image.config, rootfs: { type: 'layers', diff_ids: diffIds } };
  const configBytes = image.configBytes ?? Buffer.from(JSON.stringify(config));
  const configHex = createHash('sha256').update(configBytes).digest('hex');
  const manifest = [
    { Config: `${configHex}.json`, RepoTags: image.repoTags, Layers: diffIds.map((id) => `${hexOf(id)}/layer.tar`) },
  ];
  await packArchive(output, async ({ add, addFile }) => {
    const written = new Set<string>();
    for (const [i, path] of image.layerPaths.entries()) {
      const hex = hexOf(diffIds[i] as string);
      if (written.has(hex)) continue; // one member serves every use of a layer
      written.add(hex);
      await add(`${hex}/VERSION`, Buffer.from('1.0'));
      await addFile(`${hex}/layer.tar`, path);
    }
    await add(`${configHex}.json`, configBytes);
    await add('manifest.json', Buffer.from(JSON.stringify(manifest)));
  });
  return { imageId: `sha256:${configHex}` };
}
