/**
 * DirectorySink mirrors the tree onto disk under a root directory this run created. Every path
 * it touches comes from the tree, whose lookups already resolved symlinks inside the root, and
 * files are opened O_EXCL|O_NOFOLLOW: nothing is written through a link or outside the root.
 * Calls are synchronous on purpose: one small file costs several syscalls, and going through
 * the thread pool for each would dominate extraction time.
 */
import {
  closeSync, constants, chmodSync, fchmodSync, futimesSync, linkSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync,
  unlinkSync, writeSync,
} from 'node:fs';
import { toDisplay } from '../tar/entry.js';
import type { FsOps } from './fs-ops.js';
import type { TreeSink } from './sink.js';
import type { FsNode, FsTree, Meta } from './tree.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function timeOf(meta: Meta): number {
  return meta.paxMtime !== undefined ? Number(meta.paxMtime) : meta.mtime;
}

/** DirectorySink writes the layers' changes below `root`. */
export class DirectorySink implements TreeSink {
  private readonly rootBytes: Buffer;

  constructor(private readonly tree: FsTree, root: string, private readonly ops: FsOps, private readonly where: () => string) {
    this.rootBytes = Buffer.from(root.endsWith('/') ? root : `${root}/`, 'utf8');
  }

  private pathOf(node: FsNode): Buffer {
    return Buffer.concat([this.rootBytes, Buffer.from(this.tree.pathOf(node), 'latin1')]);
  }

  private label(node: FsNode): string {
    return `${this.where()}: ${toDisplay(this.tree.pathOf(node))}`;
  }

  /** owner, mode, xattrs, times: chown first since it clears setuid bits and capabilities. */
  private finishInode(node: FsNode, path: Buffer, options: { chmod: boolean; times: boolean }): void {
    const meta = node.inode.meta;
    this.ops.chown(path, meta.uid, meta.gid, this.label(node));
    if (options.chmod) chmodSync(path, meta.mode);
    this.setXattrs(node, path, meta.xattrs);
    if (options.times) lutimesSync(path, timeOf(meta), timeOf(meta));
  }

  private setXattrs(node: FsNode, path: Buffer, xattrs: ReadonlyMap<string, Buffer>): void {
    for (const [name, value] of xattrs) this.ops.setXattr(path.toString('utf8'), name, value, this.label(node));
  }

  remove(node: FsNode): void {
    // The tree knows what is there: only directories need a recursive removal.
    if (node.inode.kind === 'directory') rmSync(this.pathOf(node), { recursive: true, force: true });
    else unlinkSync(this.pathOf(node));
  }

  makeDir(node: FsNode): void {
    // 0700 while children are written; the real mode is set in finish(), after the last layer.
    const path = this.pathOf(node);
    mkdirSync(path, 0o700);
    this.finishInode(node, path, { chmod: false, times: false });
  }

  updateDir(node: FsNode, newXattrs: Map<string, Buffer>): void {
    const path = this.pathOf(node);
    this.ops.chown(path, node.inode.meta.uid, node.inode.meta.gid, this.label(node));
    this.setXattrs(node, path, newXattrs);
  }

  async writeFile(node: FsNode, body: AsyncIterable<Buffer>): Promise<void> {
    const path = this.pathOf(node);
    const meta = node.inode.meta;
    const fd = openSync(path, CREATE_FLAGS, 0o600);
    try {
      for await (const chunk of body) {
        for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done, chunk.length - done);
      }
      // As GNU tar does: metadata through the open descriptor, no second path lookup.
      // Owner before mode (chown clears setuid), xattrs after chown (it clears capabilities).
      this.ops.chown(path, meta.uid, meta.gid, this.label(node), fd);
      fchmodSync(fd, meta.mode);
      this.setXattrs(node, path, meta.xattrs);
      futimesSync(fd, timeOf(meta), timeOf(meta));
    } finally {
      closeSync(fd);
    }
  }

  symlink(node: FsNode): void {
    const path = this.pathOf(node);
    symlinkSync(Buffer.from(node.inode.meta.linkname, 'latin1'), path);
    this.finishInode(node, path, { chmod: false, times: true });
  }

  link(target: FsNode, node: FsNode): void {
    const path = this.pathOf(node);
    linkSync(this.pathOf(target), path);
    this.finishInode(node, path, { chmod: node.inode.kind !== 'symlink', times: true });
  }

  special(node: FsNode): void {
    const path = this.pathOf(node);
    const meta = node.inode.meta;
    const made = node.inode.kind === 'fifo'
      ? this.ops.mkfifo(path.toString('utf8'), meta.mode, this.label(node))
      : this.ops.mknod(path.toString('utf8'), node.inode.kind as 'char' | 'block', meta.mode, meta.devmajor, meta.devminor, this.label(node));
    if (made) this.finishInode(node, path, { chmod: true, times: true });
  }

  /** finish sets directory modes and times, deepest first, once no more children will be written. */
  finish(): void {
    const dirs = [this.tree.root, ...[...this.tree.nodes()].filter((n) => n.inode.kind === 'directory')];
    for (const node of dirs.reverse()) {
      const path = node === this.tree.root ? this.rootBytes : this.pathOf(node);
      if (node === this.tree.root) this.ops.chown(path, node.inode.meta.uid, node.inode.meta.gid, this.where());
      chmodSync(path, node.inode.meta.mode);
      lutimesSync(path, timeOf(node.inode.meta), timeOf(node.inode.meta));
    }
  }
}
