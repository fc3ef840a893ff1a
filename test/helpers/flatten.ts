/**
 * Flattening helpers for tests: image layers built in code, flattened both ways.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openLocalArchive } from '../../src/image/open-archive.js';
import { selectImage } from '../../src/image/select.js';
import { rootfsTarChunks } from '../../src/flatten/rootfs-tar.js';
import { unpackRootfs } from '../../src/flatten/rootfs.js';
import { tempDir, writeDockerSave } from './archives.js';
import type { EntrySpec } from './tar-builder.js';
import { summarizeDirectory, summarizeTar, type Summary } from './summary.js';

/** collect gathers an async iterable of buffers. */
export async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** flattenToTar flattens layers through a docker save archive into tar bytes. */
export async function flattenToTar(layers: EntrySpec[][]): Promise<Buffer> {
  const archive = await openLocalArchive(writeDockerSave([{ layers, tags: ['test:latest'] }]));
  try {
    return await collect(rootfsTarChunks(selectImage(archive)));
  } finally {
    await archive.close();
  }
}

/** flattenBoth returns the summaries of the tar output and the directory output. */
export async function flattenBoth(layers: EntrySpec[][]): Promise<{ tar: Summary; dir: Summary }> {
  const tar = await summarizeTar(await flattenToTar(layers));
  const archive = await openLocalArchive(writeDockerSave([{ layers, tags: ['test:latest'] }]));
  const target = join(tempDir(), 'rootfs');
  try {
    await unpackRootfs(selectImage(archive), target);
    return { tar, dir: summarizeDirectory(target, { xattrs: true }) };
  } finally {
    await archive.close();
    rmSync(target, { recursive: true, force: true });
  }
}

/** readableOf makes a stream of bytes, for stdin tests. */
export function readableOf(data: Buffer): Readable {
  return Readable.from([data]);
}
