/**
 * A directory as tar entries, for import: every path below the root in byte order (so the same
 * tree always gives the same layer), with owners, modes, mtimes, symlinks, hardlinks (the first
 * path of a group carries the data, later ones link to it), devices, fifos and xattrs. Sockets
 * cannot be in a tar; they are skipped with a warning.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { deviceNumbers, newEntry, toDisplay } from '../tar/entry.js';
import type { RootfsItem } from '../write/layer.js';
import { readTreeXattrs } from './directory-xattrs.js';

const NO_DATA: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };

function fileData(path: Buffer): AsyncIterable<Buffer> {
  return { [Symbol.asyncIterator]: () => createReadStream(path)[Symbol.asyncIterator]() };
}

/** walk yields the entries below `dir` (whose entry path is `prefix`), each folder followed by its contents. */
async function* walk(
  dir: Buffer,
  prefix: string,
  context: { xattrs: Map<string, Map<string, Buffer>>; linked: Map<string, string>; warn: (message: string) => void },
): AsyncGenerator<RootfsItem> {
  const names = (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
  for (const name of names) {
    const full = Buffer.concat([dir, Buffer.from('/'), name]);
    const path = prefix + name.toString('latin1');
    const info = await lstat(full, { bigint: true });
    const base = {
      path,
      mode: Number(info.mode & 0o7777n),
      uid: Number(info.uid),
      gid: Number(info.gid),
      mtime: Number(info.mtimeMs / 1000n),
      xattrs: context.xattrs.get(path) ?? new Map<string, Buffer>(),
    };
    const inode = `${info.dev}:${info.ino}`;
    const linkTarget = info.nlink > 1n && !info.isDirectory() ? context.linked.get(inode) : undefined;
    if (linkTarget !== undefined) {
      yield { entry: newEntry({ ...base, type: 'hardlink', linkname: linkTarget }), data: NO_DATA };
      continue;
    }
    if (info.nlink > 1n && !info.isDirectory()) context.linked.set(inode, path);
    if (info.isDirectory()) {
      yield { entry: newEntry({ ...base, type: 'directory' }), data: NO_DATA };
      yield* walk(full, `${path}/`, context);
    } else if (info.isFile()) {
      yield { entry: newEntry({ ...base, type: 'file', size: Number(info.size) }), data: fileData(full) };
    } else if (info.isSymbolicLink()) {
      yield {
        entry: newEntry({
          ...base,
          type: 'symlink',
          linkname: (await readlink(full, { encoding: 'buffer' })).toString('latin1'),
        }),
        data: NO_DATA,
      };
    } else if (info.isCharacterDevice() || info.isBlockDevice()) {
      yield {
        entry: newEntry({ ...base, type: info.isCharacterDevice() ? 'char' : 'block', ...deviceNumbers(info.rdev) }),
        data: NO_DATA,
      };
    } else if (info.isFIFO()) {
      yield { entry: newEntry({ ...base, type: 'fifo' }), data: NO_DATA };
    } else {
      context.warn(`${toDisplay(path)}: a socket cannot be stored in an image: left out`);
    }
  }
}

/** directoryEntries walks `root` in byte order; `warn` hears of what a tar cannot hold. */
export async function* directoryEntries(root: string, warn: (message: string) => void): AsyncGenerator<RootfsItem> {
  yield* walk(Buffer.from(root), '', { xattrs: await readTreeXattrs(root), linked: new Map(), warn });
}
