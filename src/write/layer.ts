/**
 * writeLayerFile writes root file system entries as an uncompressed layer tar and returns its
 * digest (the diff_id). Entries are re-encoded by undocker's tar writer, so the same entries
 * always give the same bytes; ownership and mtimes are normalised as asked.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { UndockerError } from '../errors.js';
import { toDisplay, type TarEntry } from '../tar/entry.js';
import { dataPadding, encodeEntry, END_OF_ARCHIVE } from '../tar/writer.js';

/** RootfsItem is one entry of a root file system being written as a layer, with its data. */
export interface RootfsItem {
  entry: TarEntry;
  /** data yields a file's bytes; it is empty for other entries */
  data: AsyncIterable<Buffer>;
}

/** Normalization changes what a layer records beyond the files' contents. */
export interface Normalization {
  /** owner replaces every entry's uid and gid, and drops user and group names */
  owner?: { uid: number; gid: number };
  /** clampMtime caps mtimes at this time (SOURCE_DATE_EPOCH), as reproducible builds do */
  clampMtime?: number;
}

function normalize(entry: TarEntry, how: Normalization): TarEntry {
  const out = { ...entry };
  if (how.owner !== undefined) Object.assign(out, { uid: how.owner.uid, gid: how.owner.gid, uname: '', gname: '' });
  if (how.clampMtime !== undefined && entry.mtime >= how.clampMtime) {
    out.mtime = how.clampMtime;
    delete out.paxMtime;
  }
  return out;
}

/** writeLayerFile writes `items` to `path`; `where` names the input in messages. */
export async function writeLayerFile(
  items: AsyncIterable<RootfsItem>,
  path: string,
  how: Normalization,
  where: string,
): Promise<{ diffId: string; size: number }> {
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 });
  const hash = createHash('sha256');
  let size = 0;
  const write = async (chunk: Buffer): Promise<void> => {
    hash.update(chunk);
    size += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  try {
    for await (const { entry, data } of items) {
      await write(encodeEntry(normalize(entry, how)));
      let written = 0;
      for await (const chunk of data) {
        written += chunk.length;
        if (written > entry.size) break;
        await write(chunk);
      }
      if (written !== entry.size)
        throw new UndockerError(
          'UNDOCKER_IO',
          `${where}: ${toDisplay(entry.path)} changed while it was read (${entry.size} bytes expected, ` +
            `${written > entry.size ? 'more' : written} read)`,
        );
      await write(dataPadding(entry.size));
    }
    await write(END_OF_ARCHIVE);
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    throw error;
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}
