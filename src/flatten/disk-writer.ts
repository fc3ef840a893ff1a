/**
 * DiskWriter performs WriteOps below a root directory this run created. Every path comes from
 * the tree, whose lookups already resolved symlinks inside the root, and files are opened
 * O_EXCL|O_NOFOLLOW: nothing is written through a link or outside the root. Metadata goes in
 * the order that keeps it: owner (chown clears setuid and capabilities), mode, xattrs, times.
 */
import {
  chmodSync, closeSync, constants, fchmodSync, futimesSync, linkSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync,
  unlinkSync, writeSync,
} from 'node:fs';
import type { FsOps } from './fs-ops.js';
import type { OpMeta, WriteOp } from './write-ops.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** DiskWriter applies operations synchronously, in order. */
export class DiskWriter {
  private readonly root: Buffer;
  private file: { fd: number; path: Buffer } | undefined;

  constructor(root: string, private readonly ops: FsOps) {
    this.root = Buffer.from(root.endsWith('/') ? root : `${root}/`, 'utf8');
  }

  private pathOf(relative: string): Buffer {
    return relative === '' ? this.root : Buffer.concat([this.root, Buffer.from(relative, 'latin1')]);
  }

  private setXattrs(path: Buffer, xattrs: Array<[string, Uint8Array]>, where: string): void {
    for (const [name, value] of xattrs) this.ops.setXattr(path.toString('utf8'), name, Buffer.from(value), where);
  }

  private finishInode(path: Buffer, meta: OpMeta, where: string, options: { chmod: boolean; times: boolean }): void {
    this.ops.chown(path, meta.uid, meta.gid, where);
    if (options.chmod) chmodSync(path, meta.mode);
    this.setXattrs(path, meta.xattrs, where);
    if (options.times) lutimesSync(path, meta.time, meta.time);
  }

  /** apply performs a batch of operations; `data` holds the bytes its `data` operations point into. */
  apply(ops: WriteOp[], data: Buffer): void {
    for (const op of ops) this.applyOne(op, data);
  }

  private applyOne(op: WriteOp, data: Buffer): void {
    switch (op.op) {
      case 'mkdir': {
        // 0700 while children are written; the real mode comes with finish-dirs.
        const path = this.pathOf(op.path);
        mkdirSync(path, 0o700);
        return this.finishInode(path, op.meta, op.where, { chmod: false, times: false });
      }
      case 'update-dir': {
        const path = this.pathOf(op.path);
        this.ops.chown(path, op.meta.uid, op.meta.gid, op.where);
        return this.setXattrs(path, op.newXattrs, op.where);
      }
      case 'remove':
        // The tree knows what is there: only directories need a recursive removal.
        if (op.directory) rmSync(this.pathOf(op.path), { recursive: true, force: true });
        else unlinkSync(this.pathOf(op.path));
        return;
      case 'open': {
        const path = this.pathOf(op.path);
        this.file = { fd: openSync(path, CREATE_FLAGS, 0o600), path };
        return;
      }
      case 'data': {
        const fd = (this.file as { fd: number }).fd;
        for (let done = 0; done < op.length;) done += writeSync(fd, data, op.offset + done, op.length - done);
        return;
      }
      case 'close':
        return this.closeFile(op.meta, op.where);
      case 'symlink': {
        const path = this.pathOf(op.path);
        symlinkSync(Buffer.from(op.target, 'latin1'), path);
        return this.finishInode(path, op.meta, op.where, { chmod: false, times: true });
      }
      case 'link': {
        const path = this.pathOf(op.path);
        linkSync(this.pathOf(op.target), path);
        return this.finishInode(path, op.meta, op.where, { chmod: op.chmod, times: true });
      }
      case 'special': {
        const path = this.pathOf(op.path);
        const made = op.kind === 'fifo'
          ? this.ops.mkfifo(path.toString('utf8'), op.meta.mode, op.where)
          : this.ops.mknod(path.toString('utf8'), op.kind, op.meta.mode, op.major, op.minor, op.where);
        if (made) this.finishInode(path, op.meta, op.where, { chmod: true, times: true });
        return;
      }
      case 'finish-dirs':
        for (const { path, meta } of op.dirs) {
          const full = this.pathOf(path);
          if (path === '') this.ops.chown(full, meta.uid, meta.gid, op.where);
          chmodSync(full, meta.mode);
          lutimesSync(full, meta.time, meta.time);
        }
    }
  }

  private closeFile(meta: OpMeta, where: string): void {
    const { fd, path } = this.file as { fd: number; path: Buffer };
    this.file = undefined;
    try {
      // As GNU tar does: metadata through the open descriptor, no second path lookup.
      this.ops.chown(path, meta.uid, meta.gid, where, fd);
      fchmodSync(fd, meta.mode);
      this.setXattrs(path, meta.xattrs, where);
      futimesSync(fd, meta.time, meta.time);
    } finally {
      closeSync(fd);
    }
  }

  /** abandon closes a file left open by a failure. */
  abandon(): void {
    if (this.file !== undefined) closeSync(this.file.fd);
    this.file = undefined;
  }
}
