/**
 * DiskWriter performs WriteOps below a root directory this run created. Every path comes from
 * the tree, whose lookups already resolved symlinks inside the root, and files are opened
 * O_EXCL|O_NOFOLLOW: nothing is written through a link or outside the root. Metadata goes in
 * the order that keeps it: owner (chown clears setuid and capabilities), mode, xattrs, times.
 * What creation already gave is not set again: most image files belong to root and have a mode
 * the umask leaves whole, and two system calls fewer per file is a tenth of the writer's time.
 */
import {
  chmodSync, closeSync, constants, fchmodSync, futimesSync, linkSync, lutimesSync, mkdirSync, openSync, readFileSync, rmSync,
  statSync, symlinkSync, unlinkSync, writeSync,
} from 'node:fs';
import type { FsOps } from './fs-ops.js';
import type { OpMeta, WriteOp } from './write-ops.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** S_ISGID on a directory makes what is created in it take the directory's group (inode(7)). */
const S_ISGID = 0o2000;

/** processUmask reads the umask without changing it (process.umask() would, for a moment); undefined if unknown. */
function processUmask(): number | undefined {
  try {
    const match = /^Umask:\s+([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? parseInt(match[1] as string, 8) : undefined;
  } catch {
    return undefined;
  }
}

/** Creation is what a new inode gets without being asked: this process's owner, and its mode less the umask. */
interface Creation {
  uid: number;
  gid: number;
  umask: number | undefined;
}

/** creationUnder tells what new inodes below `root` get; a setgid root gives its own group instead, so none is assumed. */
function creationUnder(root: string): Creation | undefined {
  if ((statSync(root).mode & S_ISGID) !== 0) return undefined;
  return { uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1, umask: processUmask() };
}

/** OpenFile is the file being written; `modeSet` when creation gave it its mode. */
interface OpenFile {
  fd: number;
  path: Buffer;
  modeSet: boolean;
}

/** DiskWriter applies operations synchronously, in order. */
export class DiskWriter {
  private readonly root: Buffer;
  private readonly creation: Creation | undefined;
  private file: OpenFile | undefined;

  constructor(root: string, private readonly ops: FsOps) {
    this.root = Buffer.from(root.endsWith('/') ? root : `${root}/`, 'utf8');
    this.creation = creationUnder(root);
  }

  /** ownedAlready tells whether an inode this writer just made has `meta`'s owner already. */
  private ownedAlready(meta: OpMeta): boolean {
    return this.creation !== undefined && meta.uid === this.creation.uid && meta.gid === this.creation.gid;
  }

  /** createMode is the mode to create a file with, and whether creation gives it whole (no setuid/setgid/sticky, umask-proof). */
  private createMode(mode: number): { mode: number; whole: boolean } {
    const umask = this.creation?.umask;
    return { mode: mode & 0o777, whole: umask !== undefined && (mode & 0o7000) === 0 && (mode & umask & 0o777) === 0 };
  }

  private pathOf(relative: string): Buffer {
    return relative === '' ? this.root : Buffer.concat([this.root, Buffer.from(relative, 'latin1')]);
  }

  private setXattrs(path: Buffer, xattrs: Array<[string, Uint8Array]>, where: string): void {
    for (const [name, value] of xattrs) this.ops.setXattr(path.toString('utf8'), name, Buffer.from(value), where);
  }

  private finishInode(path: Buffer, meta: OpMeta, where: string, options: { chmod: boolean; times: boolean; fresh: boolean }): void {
    if (!(options.fresh && this.ownedAlready(meta))) this.ops.chown(path, meta.uid, meta.gid, where);
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
        return this.finishInode(path, op.meta, op.where, { chmod: false, times: false, fresh: true });
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
        const { mode, whole } = this.createMode(op.mode);
        // A mode creation cannot give whole (setuid, or bits the umask takes) waits for close, from 0600.
        this.file = { fd: openSync(path, CREATE_FLAGS, whole ? mode : 0o600), path, modeSet: whole };
        return;
      }
      case 'data': {
        const fd = (this.file as OpenFile).fd;
        for (let done = 0; done < op.length;) done += writeSync(fd, data, op.offset + done, op.length - done);
        return;
      }
      case 'close':
        return this.closeFile(op.meta, op.where);
      case 'symlink': {
        const path = this.pathOf(op.path);
        symlinkSync(Buffer.from(op.target, 'latin1'), path);
        return this.finishInode(path, op.meta, op.where, { chmod: false, times: true, fresh: true });
      }
      case 'link': {
        const path = this.pathOf(op.path);
        linkSync(this.pathOf(op.target), path);
        return this.finishInode(path, op.meta, op.where, { chmod: op.chmod, times: true, fresh: false });
      }
      case 'special': {
        const path = this.pathOf(op.path);
        const made = op.kind === 'fifo'
          ? this.ops.mkfifo(path.toString('utf8'), op.meta.mode, op.where)
          : this.ops.mknod(path.toString('utf8'), op.kind, op.meta.mode, op.major, op.minor, op.where);
        if (made) this.finishInode(path, op.meta, op.where, { chmod: true, times: true, fresh: true });
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
    const { fd, path, modeSet } = this.file as OpenFile;
    this.file = undefined;
    try {
      // As GNU tar does: metadata through the open descriptor, no second path lookup.
      if (!this.ownedAlready(meta)) this.ops.chown(path, meta.uid, meta.gid, where, fd);
      if (!modeSet) fchmodSync(fd, meta.mode);
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
