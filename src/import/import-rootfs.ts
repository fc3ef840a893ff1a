/**
 * importRootfs builds an image from a root file system, as `docker import` would, but without
 * Docker: the rootfs (a tar in any compression, a directory, or standard input) becomes one
 * layer, on top of a base image's layers when one is given, with a config made from the
 * options. Layers are spooled to a private temporary folder (their digests name them in the
 * archive), which is removed whatever happens.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { isErrno, UndockerError } from '../errors.js';
import type { Image } from '../image/types.js';
import { copyLayerTar } from './copy-layer.js';
import { directoryEntries } from './directory-entries.js';
import { type ConfigChanges, toImportConfig } from './image-config.js';
import { tarRootfsEntries } from './tar-rootfs.js';
import { writeDockerArchive } from '../write/docker-archive.js';
import { type Normalization, type RootfsItem, writeLayerFile } from '../write/layer.js';
import { writeOciArchive } from '../write/oci-archive.js';

/** ImportFormat is the kind of archive written: `docker save` or `oci-archive`. */
export type ImportFormat = 'docker' | 'oci';

/** ImportOptions say what image to make from the rootfs. */
export interface ImportOptions {
  tags: string[];
  format: ImportFormat;
  changes: ConfigChanges;
  normalization: Normalization;
  base?: Image;
  signal?: AbortSignal;
  warn: (message: string) => void;
  /** stdin is read for input `-` */
  stdin?: Readable;
}

/** rootfsItems opens the input: `-` for standard input, a directory, or a tar file. */
async function rootfsItems(input: string, options: ImportOptions): Promise<AsyncIterable<RootfsItem>> {
  if (input === '-') return tarRootfsEntries(options.stdin ?? process.stdin, 'standard input');
  const info = await stat(input).catch((error: unknown) => {
    if (isErrno(error, 'ENOENT', 'ENOTDIR'))
      throw new UndockerError('UNDOCKER_NOT_FOUND', `${input}: no such file or directory`);
    throw error;
  });
  return info.isDirectory() ? directoryEntries(input, options.warn) : tarRootfsEntries(createReadStream(input), input);
}

/** importRootfs writes the image archive made from `input` to `output`; it returns the config digest. */
export async function importRootfs(
  input: string,
  output: Writable,
  options: ImportOptions,
): Promise<{ configDigest: string }> {
  toImportConfig(options.changes, [], options.base?.config); // bad options fail before any work
  const work = await mkdtemp(join(process.env.TMPDIR ?? tmpdir(), 'undocker-import-'));
  try {
    const layerPaths: string[] = [];
    const diffIds: string[] = [];
    for (const [i, layer] of (options.base?.layers ?? []).entries()) {
      layerPaths.push(join(work, `base-${i}.tar`));
      diffIds.push(await copyLayerTar(layer, layerPaths[i] as string, options.signal));
    }
    const layerPath = join(work, 'rootfs.tar');
    const where = input === '-' ? 'standard input' : input;
    const { diffId } = await writeLayerFile(await rootfsItems(input, options), layerPath, options.normalization, where);
    options.signal?.throwIfAborted();
    layerPaths.push(layerPath);
    diffIds.push(diffId);
    const config = toImportConfig(options.changes, diffIds, options.base?.config);
    if (options.format === 'oci') {
      return {
        configDigest: (await writeOciArchive(output, { config, tags: options.tags, layerPaths, diffIds })).configDigest,
      };
    }
    return {
      configDigest: (await writeDockerArchive(output, { config, repoTags: options.tags, layerPaths, diffIds })).imageId,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
