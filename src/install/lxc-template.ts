/**
 * writeLxcTemplate writes what `lxc-create -t local` imports: `meta.tar.xz` (the container
 * config and a create message) and `rootfs.tar.xz` (the flattened image), both or neither.
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { dirname, join, resolve } from 'node:path';
import { mkdir, rmdir } from 'node:fs/promises';
import type { AddedTree } from '../flatten/added-tree.js';
import { streamRootfsTar } from '../flatten/rootfs.js';
import type { FlattenOptions } from '../flatten/rootfs-tar.js';
import type { Image } from '../image/types.js';
import { writeFilesTogether } from '../output/atomic.js';
import { encoderFor } from '../stream/compression.js';
import { newEntry } from '../tar/entry.js';
import { dataPadding, encodeEntry, END_OF_ARCHIVE } from '../tar/writer.js';
import { isErrno, UndockerError } from '../errors.js';

/** LxcTemplateFiles are the texts that go into meta.tar.xz, and undocker's folder for the rootfs. */
export interface LxcTemplateFiles {
  config: string;
  createMessage: string;
  /** helper is the identity helper and the launcher the config runs */
  helper: AddedTree;
}

function* metaTar(files: LxcTemplateFiles): Generator<Buffer> {
  const mtime = Math.floor(Date.now() / 1000);
  for (const [path, text] of [
    ['config', files.config],
    ['create-message', files.createMessage],
  ] as const) {
    const data = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
    yield encodeEntry(newEntry({ path, type: 'file', mode: 0o644, size: data.length, mtime }));
    yield data;
    yield dataPadding(data.length);
  }
  yield END_OF_ARCHIVE;
}

async function writeMeta(files: LxcTemplateFiles, output: Writable): Promise<void> {
  await pipeline(Readable.from(metaTar(files)), encoderFor('xz', 'meta.tar.xz') as NodeJS.ReadWriteStream, output);
}

/** lxcCreateArgs is the lxc-create command line that imports the two files in `dir`. */
export function lxcCreateArgs(name: string, dir: string): string[] {
  const where = resolve(dir);
  return [
    'lxc-create',
    '-n',
    name,
    '-t',
    'local',
    '--',
    '-m',
    join(where, 'meta.tar.xz'),
    '-f',
    join(where, 'rootfs.tar.xz'),
  ];
}

/** writeLxcTemplate writes DIR/meta.tar.xz and DIR/rootfs.tar.xz; DIR is made if missing. */
export async function writeLxcTemplate(
  image: Image,
  dir: string,
  files: LxcTemplateFiles,
  options: FlattenOptions & { force?: boolean } = {},
): Promise<void> {
  const made = await mkdir(dir).then(
    () => true,
    (error: unknown) => {
      if (isErrno(error, 'EEXIST')) return false;
      if (isErrno(error, 'ENOENT', 'ENOTDIR'))
        throw new UndockerError(
          'UNDOCKER_NOT_FOUND',
          `cannot create ${dir}: ${dirname(resolve(dir))} is not an existing directory`,
        );
      throw error;
    },
  );
  try {
    await writeFilesTogether(
      [
        { target: join(dir, 'meta.tar.xz'), write: (stream) => writeMeta(files, stream) },
        {
          target: join(dir, 'rootfs.tar.xz'),
          write: (stream) =>
            streamRootfsTar(image, stream, 'xz', { ...options, added: files.helper }, join(dir, 'rootfs.tar.xz')),
        },
      ],
      options.force ?? false,
    );
  } catch (error) {
    if (made) await rmdir(dir).catch(() => undefined);
    throw error;
  }
}
