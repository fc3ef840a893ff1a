/**
 * Opening any local input undocker reads, detected by content and never by name: a tar file
 * (plain or gzip/xz/zstd/bzip2-compressed), standard input (`-`), or a directory; then the
 * format inside it: docker save (any era), OCI layout, or ACI. Registries are registry/'s.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { BadArchiveError, isErrno, UndockerError } from '../errors.js';
import { detectCompression, MAGIC_BYTES } from '../stream/compression.js';
import { peekStream } from '../stream/peek.js';
import type { MemberSet } from './members.js';
import { TarMembers } from './tar-members.js';
import type { ArchiveFormat, Image, ImageArchive } from './types.js';

/** LocalOpenOptions supply standard input for `-` and a signal to stop spooling. */
export interface LocalOpenOptions {
  stdin?: Readable;
  signal?: AbortSignal;
}

/** openLocalArchive opens `input` (a file or directory path, or `-` for standard input) and reads its images. */
export async function openLocalArchive(input: string, options: LocalOpenOptions = {}): Promise<ImageArchive> {
  const members = await openMembers(input, options);
  try {
    const { format, images } = await readImages(members);
    if (images.length === 0) throw new BadArchiveError(`${members.where}: the archive holds no images`);
    return { where: members.where, format, images, close: () => members.close() };
  } catch (error) {
    await members.close();
    throw error;
  }
}

async function openMembers(input: string, options: LocalOpenOptions): Promise<MemberSet> {
  if (input === '-') {
    const stdin = options.stdin ?? process.stdin;
    const { head, stream } = await peekStream(stdin, MAGIC_BYTES);
    if (head.length === 0) throw new BadArchiveError('standard input: no data');
    const { spoolToTempFile } = await import('./spool.js');
    const handle = await spoolToTempFile(stream, detectCompression(head), 'standard input', options.signal);
    return TarMembers.index('standard input', handle);
  }
  const where = basename(input) || input;
  let info;
  try {
    info = await stat(input);
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR'))
      throw new UndockerError('UNDOCKER_NOT_FOUND', `${input}: no such file or directory`, { cause: error });
    throw new UndockerError('UNDOCKER_IO', `${input}: ${(error as Error).message}`, { cause: error });
  }
  if (info.isDirectory()) {
    const { DirMembers } = await import('./dir-members.js');
    return new DirMembers(where, input);
  }
  const handle = await open(input, 'r');
  try {
    const head = Buffer.alloc(MAGIC_BYTES);
    await handle.read(head, 0, MAGIC_BYTES, 0);
    const compression = detectCompression(head);
    if (compression === 'none') return await TarMembers.index(where, handle);
    await handle.close();
    const { spoolToTempFile } = await import('./spool.js');
    const spooled = await spoolToTempFile(
      createReadStream(input, { highWaterMark: 1024 * 1024 }),
      compression,
      where,
      options.signal,
    );
    return await TarMembers.index(where, spooled);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** readImages reads the images of whichever format `members` holds, loading that format's reader alone. */
async function readImages(members: MemberSet): Promise<{ format: ArchiveFormat; images: Image[] }> {
  // Docker 25+ saves hold both manifest.json and an OCI layout; manifest.json carries the tags.
  if (members.has('manifest.json')) {
    const { imagesFromDockerArchive } = await import('./docker-archive.js');
    return { format: 'docker-archive', images: await imagesFromDockerArchive(members) };
  }
  if (members.has('index.json') && members.has('oci-layout')) {
    const { imagesFromOciLayout } = await import('./oci-layout.js');
    return { format: 'oci-layout', images: await imagesFromOciLayout(members) };
  }
  const { imagesFromLegacyArchive, isLegacyArchive } = await import('./docker-legacy.js');
  if (isLegacyArchive(members)) return { format: 'docker-legacy', images: await imagesFromLegacyArchive(members) };
  const { imagesFromAci, isAciArchive } = await import('./aci.js');
  if (isAciArchive(members)) return { format: 'aci', images: await imagesFromAci(members) };
  throw new BadArchiveError(
    `${members.where}: not an image archive: found no manifest.json, no index.json with oci-layout, no ` +
      `repositories or <id>/json, and no ACI manifest`,
  );
}
