/**
 * DirMembers is a MemberSet over a directory: an OCI image layout or an extracted `docker save`.
 * Symlinks among the members are followed, but never to a file outside the directory.
 */
import { createReadStream, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { BadArchiveError } from '../errors.js';
import { READ_CHUNK, type MemberSet } from './members.js';
import type { LayerFile } from './types.js';

/** DirMembers reads archive members from files below `root`. */
export class DirMembers implements MemberSet {
  private readonly root: string;

  constructor(
    readonly where: string,
    root: string,
  ) {
    this.root = realpathSync(root);
  }

  private locate(path: string): string | undefined {
    try {
      const real = realpathSync(join(this.root, path));
      const rel = relative(this.root, real);
      if (rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) return undefined;
      return statSync(real).isFile() ? real : undefined;
    } catch {
      return undefined;
    }
  }

  has(path: string): boolean {
    return this.locate(path) !== undefined;
  }

  size(path: string): number | undefined {
    const real = this.locate(path);
    return real === undefined ? undefined : statSync(real).size;
  }

  paths(): string[] {
    const out: string[] = [];
    const walk = (dir: string, prefix: string): void => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        const stat = lstatSync(full);
        if (stat.isDirectory()) walk(full, `${prefix}${name}/`);
        else out.push(`${prefix}${name}`);
      }
    };
    walk(this.root, '');
    return out;
  }

  open(path: string): Readable {
    const real = this.locate(path);
    if (real === undefined) throw new BadArchiveError(`${this.where}: missing file ${path}`);
    return createReadStream(real, { highWaterMark: READ_CHUNK });
  }

  async openFile(path: string): Promise<LayerFile> {
    const real = this.locate(path);
    if (real === undefined) throw new BadArchiveError(`${this.where}: missing file ${path}`);
    const handle = await openFile(real, 'r');
    return { handle, start: 0, size: (await handle.stat()).size, close: () => handle.close() };
  }

  async close(): Promise<void> {}
}
