/**
 * DiskWriter performs WriteOps below a root directory this run created. Every path comes from
 * the tree, whose lookups already resolved symlinks inside the root, and files are opened
 * O_EXCL|O_NOFOLLOW: nothing is written through a link or outside the root. Metadata goes in
 * the order that keeps it: owner (chown clears setuid and capabilities), mode, xattrs, times.
 * What creation already gave is not set again: most image files belong to root and have a mode
 * the umask leaves whole, and two system calls fewer per file is a tenth of the writer's time.
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  ftruncateSync,
  futimesSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { outputError } from '../errors.js';
import type { FsOps } from './fs-ops.js';
import { type AnyOp, type Op, OpDecoder, type OpMeta, type OpName } from './write-ops.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** S_ISGID on a directory makes what is created in it take the directory's group (inode(7)). */
const S_ISGID = 0o2000;
const SETID_BITS = 0o6000;

/** processUmask reads the umask without changing it (process.umask() would, for a moment); undefined if unknown. */
function processUmask(): number | undefined {
  try {
    const match = /^Umask:\s+([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? parseInt(match[1] as string, 8) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * keptMode is the mode to give a file whose owner was or was not applied: without its owner a
 * setuid or setgid file would run as whoever extracted it, so those bits go, as GNU tar does.
 */
function keptMode(mode: number, owned: boolean): number {
  return owned ? mode : mode & ~SETID_BITS;
}

/** Creation is what a new inode gets without being asked: its owner (FsOps.createsAs) and its mode less the umask. */
interface Creation {
  umask: number | undefined;
}

/**
 * creationUnder tells what new inodes below `root` get; a setgid root gives its own group instead, so none is assumed.
 */
function creationUnder(root: string): Creation | undefined {
  if ((statSync(root).mode & S_ISGID) !== 0) return undefined;
  return { umask: processUmask() };
}

/** OpenFile is the file being written; `modeSet` when creation gave it its mode; `position` where its next bytes go. */
interface OpenFile {
  fd: number;
  path: Buffer;
  modeSet: boolean;
  position: number;
}

/** DiskWriter applies batches of encoded operations synchronously, in order. */
export class DiskWriter {
  private readonly rootLength: number;
  private readonly creation: Creation | undefined;
  private file: OpenFile | undefined;
  /** layerWhere names the layer the current operations come from. */
  private layerWhere = '';

  /** output names the target in messages: the directory the user asked for, not the temporary one written. */
  constructor(
    root: string,
    private readonly ops: FsOps,
    private readonly output: string = root,
  ) {
    this.rootLength = Buffer.byteLength(root.endsWith('/') ? root : `${root}/`);
    this.creation = creationUnder(root);
  }

  /** where names the entry at `path` for messages: built only when one is needed. */
  private where(path: Buffer): string {
    return path.length <= this.rootLength
      ? this.layerWhere
      : `${this.layerWhere}: ${path.toString('utf8', this.rootLength)}`;
  }

  /** ownedAlready tells whether an inode this writer just made has `meta`'s owner already. */
  private ownedAlready(meta: OpMeta): boolean {
    return this.creation !== undefined && this.ops.createsAs(meta.uid, meta.gid);
  }

  /**
   * createMode is the mode to create a file with, and whether creation gives it whole (no setuid/setgid/sticky,
   * umask-proof).
   */
  private createMode(mode: number): { mode: number; whole: boolean } {
    const umask = this.creation?.umask;
    return { mode: mode & 0o777, whole: umask !== undefined && (mode & 0o7000) === 0 && (mode & umask & 0o777) === 0 };
  }

  private setXattrs(path: Buffer, xattrs: OpMeta['xattrs']): void {
    for (const [name, value] of xattrs) this.ops.setXattr(path, name, Buffer.from(value), this.where(path));
  }

  private finishInode(path: Buffer, meta: OpMeta, options: { chmod: boolean; times: boolean; fresh: boolean }): void {
    const owned =
      (options.fresh && this.ownedAlready(meta)) || this.ops.chown(path, meta.uid, meta.gid, this.where(path));
    if (options.chmod) chmodSync(path, keptMode(meta.mode, owned));
    this.setXattrs(path, meta.xattrs);
    if (options.times) lutimesSync(path, meta.time, meta.time);
  }

  /**
   * apply performs the operations encoded in the first `length` bytes of `batch`; a system error names the output and
   * the entry.
   */
  apply(batch: Buffer, length: number): void {
    const op = new OpDecoder(batch, length);
    try {
      while (!op.done) this.applyOne(op);
    } catch (error) {
      const path = this.file?.path ?? op.lastPath;
      throw outputError(
        path === undefined || path.length <= this.rootLength
          ? this.output
          : `${this.output}: ${path.toString('utf8', this.rootLength)}`,
        error,
      );
    }
  }

  private applyOne(decoder: OpDecoder): void {
    const op = decoder.next();
    (this.handlers[op.op] as (op: AnyOp) => void)(op);
  }

  /** handlers perform each operation; a byte string in an operation is valid only during its batch. */
  private readonly handlers: { [K in OpName]: (op: Op<K>) => void } = {
    layer: ({ where }) => {
      this.layerWhere = where;
    },
    mkdir: ({ path, meta }) => {
      // 0700 while children are written; the real mode comes with finishDir.
      mkdirSync(path, 0o700);
      this.finishInode(path, meta, { chmod: false, times: false, fresh: true });
    },
    updateDir: ({ path, meta }) => {
      this.ops.chown(path, meta.uid, meta.gid, this.where(path));
      this.setXattrs(path, meta.xattrs);
    },
    remove: ({ path, directory }) => {
      // The tree knows what is there: only directories need a recursive removal.
      if (directory) rmSync(path, { recursive: true, force: true });
      else unlinkSync(path);
    },
    open: ({ path: view, mode: wanted }) => {
      // The path outlives this batch, whose buffer goes back when it is done: a copy.
      const path = Buffer.from(view);
      const { mode, whole } = this.createMode(wanted);
      // A mode creation cannot give whole (setuid, or bits the umask takes) waits for close, from 0600.
      this.file = { fd: openSync(path, CREATE_FLAGS, whole ? mode : 0o600), path, modeSet: whole, position: 0 };
    },
    data: ({ bytes }) => {
      const file = this.file as OpenFile;
      for (let done = 0; done < bytes.length;)
        done += writeSync(file.fd, bytes, done, bytes.length - done, file.position + done);
      file.position += bytes.length;
    },
    hole: ({ length }) => {
      // Growing the file past its end leaves the gap unallocated.
      const file = this.file as OpenFile;
      file.position += length;
      ftruncateSync(file.fd, file.position);
    },
    close: ({ meta }) => this.closeFile(meta),
    symlink: ({ path, target, meta }) => {
      symlinkSync(target, path);
      this.finishInode(path, meta, { chmod: false, times: true, fresh: true });
    },
    link: ({ target, path, meta, chmod }) => {
      linkSync(target, path);
      this.finishInode(path, meta, { chmod, times: true, fresh: false });
    },
    special: ({ path, kind, major, minor, meta }) => {
      const where = this.where(path);
      const made =
        kind === 'fifo'
          ? this.ops.mkfifo(path, meta.mode, where)
          : this.ops.mknod(path, kind, meta.mode, major, minor, where);
      if (made) this.finishInode(path, meta, { chmod: true, times: true, fresh: true });
    },
    finishDir: ({ path, meta }) => {
      if (path.length === this.rootLength) this.ops.chown(path, meta.uid, meta.gid, this.layerWhere);
      chmodSync(path, meta.mode);
      lutimesSync(path, meta.time, meta.time);
    },
  };

  private closeFile(meta: OpMeta): void {
    const { fd, path, modeSet } = this.file as OpenFile;
    this.file = undefined;
    try {
      // As GNU tar does: metadata through the open descriptor, no second path lookup.
      const owned = this.ownedAlready(meta) || this.ops.chown(path, meta.uid, meta.gid, this.where(path), fd);
      // modeSet means no setuid or setgid bit, so a kept mode is only needed where creation did not set it.
      if (!modeSet) fchmodSync(fd, keptMode(meta.mode, owned));
      this.setXattrs(path, meta.xattrs);
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
