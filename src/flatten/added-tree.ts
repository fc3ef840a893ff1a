/**
 * A folder of undocker's own at the top of a tree it writes (install, lxc-template): the identity
 * helper and the launcher, as Docker adds /.dockerenv. It replaces whatever the image has at that
 * path (a symlink there must never lead the copy out of the tree), and `undocker rootfs` never
 * adds it. Host files are streamed, never read whole.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UndockerError } from '../errors.js';
import { newEntry } from '../tar/entry.js';
import { dataPadding, encodeEntry } from '../tar/writer.js';
import type { Warn } from './fs-ops.js';
import type { FsTree } from './tree.js';

/** AddedFile is one file of the folder: a host file's copy or a text. */
export interface AddedFile {
  name: string;
  mode: number;
  source: { host: string } | { text: string };
}

/** AddedTree is the folder, one name at the root (`.undocker`), and its files. */
export interface AddedTree {
  name: string;
  files: AddedFile[];
}

function replacedWarning(tree: AddedTree): string {
  return `warning: the image's own /${tree.name} is replaced by undocker's (the identity helper and the launcher)`;
}

/** dropShadowed takes the image's own entry at the folder's name out of `fs`, saying so. */
export function dropShadowed(fs: FsTree, tree: AddedTree, warn: Warn): void {
  const node = fs.childOf(fs.root, tree.name);
  if (node === undefined) return;
  fs.detach(node);
  warn(replacedWarning(tree));
}

/** addedTreeChunks yields the folder as tar entries, owned by root, dated now. */
export async function* addedTreeChunks(tree: AddedTree): AsyncGenerator<Buffer> {
  const mtime = Math.floor(Date.now() / 1000);
  yield encodeEntry(newEntry({ path: `${tree.name}/`, type: 'directory', mode: 0o755, mtime }));
  for (const file of tree.files) {
    const path = `${tree.name}/${file.name}`;
    if ('text' in file.source) {
      const data = Buffer.from(file.source.text);
      yield encodeEntry(newEntry({ path, type: 'file', mode: file.mode, size: data.length, mtime }));
      yield data;
      yield dataPadding(data.length);
      continue;
    }
    const { size } = await stat(file.source.host);
    yield encodeEntry(newEntry({ path, type: 'file', mode: file.mode, size, mtime }));
    let copied = 0;
    for await (const chunk of createReadStream(file.source.host)) {
      copied += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (copied !== size)
      throw new UndockerError('UNDOCKER_IO', `${file.source.host} changed size while it was copied into /${path}`);
    yield dataPadding(size);
  }
}

/** writeAddedTree writes the folder into directory `rootfs`, replacing the image's own. */
export async function writeAddedTree(rootfs: string, tree: AddedTree, warn: Warn): Promise<void> {
  const dir = join(rootfs, tree.name);
  // rm does not follow a symlink: it removes the link itself.
  const had = await lstat(dir).then(
    () => true,
    () => false,
  );
  await rm(dir, { recursive: true, force: true });
  if (had) warn(replacedWarning(tree));
  await mkdir(dir, { mode: 0o755 });
  for (const file of tree.files) {
    const path = join(dir, file.name);
    if ('text' in file.source) await writeFile(path, file.source.text, { mode: file.mode, flag: 'wx' });
    else await pipeline(createReadStream(file.source.host), createWriteStream(path, { mode: file.mode, flags: 'wx' }));
    await chmod(path, file.mode); // the umask may have narrowed it
  }
}
