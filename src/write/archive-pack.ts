/**
 * Writing the members of an image archive: into an outer tar with tar-stream (small documents
 * from memory, layer files streamed from disk, every member with mtime 0 so the same image gives
 * the same bytes), or into a directory.
 */
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';

/** Packer adds members to an archive being written. */
export interface Packer {
  /** add writes a member from bytes */
  add(name: string, data: Buffer): Promise<void>;
  /** addFile streams a member from a file on disk */
  addFile(name: string, path: string): Promise<void>;
}

/** packArchive lets `fill` add the members, then ends the archive into `output`. */
export async function packArchive(output: Writable, fill: (packer: Packer) => Promise<void>): Promise<void> {
  const pack = tarStream.pack();
  const done = pipeline(pack, output);
  const packer: Packer = {
    add: (name, data) =>
      new Promise((resolve, reject) =>
        pack.entry({ name, mtime: new Date(0), mode: 0o644 }, data, (error) => (error ? reject(error) : resolve())),
      ),
    addFile: async (name, path) => {
      const { size } = await stat(path);
      await pipeline(createReadStream(path), pack.entry({ name, size, mtime: new Date(0), mode: 0o644 }));
    },
  };
  try {
    await fill(packer);
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    throw error;
  } finally {
    await done.catch(() => undefined);
  }
  await done;
}

/** directoryPacker writes members as files below `root`; layer files are hard-linked where they can be, else copied. */
export function directoryPacker(root: string): Packer {
  return {
    add: async (name, data) => {
      await mkdir(dirname(join(root, name)), { recursive: true });
      await writeFile(join(root, name), data, { mode: 0o644 });
    },
    addFile: async (name, path) => {
      await mkdir(dirname(join(root, name)), { recursive: true });
      await link(path, join(root, name)).catch(() => copyFile(path, join(root, name)));
    },
  };
}
