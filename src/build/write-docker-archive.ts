/**
 * writeDockerArchive writes a `docker save` archive (the Docker 1.10+ manifest.json form that
 * every `docker load` accepts) from uncompressed layer tars on disk and a config. Layer members
 * are plain files, so tar-stream writes the outer archive; the digests are computed here.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import type { ImageConfigFile } from '../image/types.js';

/** ArchiveImage describes one image to write. */
export interface ArchiveImage {
  config: ImageConfigFile;
  repoTags: string[];
  /** paths of uncompressed layer tars, bottom first */
  layerPaths: string[];
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** writeDockerArchive streams the archive for `image` into `output`. */
export async function writeDockerArchive(output: Writable, image: ArchiveImage): Promise<{ imageId: string }> {
  const diffHexes = await Promise.all(image.layerPaths.map(sha256OfFile));
  const config: ImageConfigFile = { ...image.config, rootfs: { type: 'layers', diff_ids: diffHexes.map((hex) => `sha256:${hex}`) } };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configHex = createHash('sha256').update(configBytes).digest('hex');
  const manifest = [{ Config: `${configHex}.json`, RepoTags: image.repoTags, Layers: diffHexes.map((hex) => `${hex}/layer.tar`) }];
  const pack = tarStream.pack();
  const done = pipeline(pack, output);
  const add = (name: string, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, mtime: new Date(0) }, data, (error) => (error ? reject(error) : resolve())));
  for (const [i, path] of image.layerPaths.entries()) {
    const hex = diffHexes[i] as string;
    const { size } = await stat(path);
    await add(`${hex}/VERSION`, Buffer.from('1.0'));
    await pipeline(createReadStream(path), pack.entry({ name: `${hex}/layer.tar`, size, mtime: new Date(0) }));
  }
  await add(`${configHex}.json`, configBytes);
  await add('manifest.json', Buffer.from(JSON.stringify(manifest)));
  pack.finalize();
  await done;
  return { imageId: `sha256:${configHex}` };
}
