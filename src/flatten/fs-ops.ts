/**
 * Privileged filesystem operations, in two sets chosen once (as umoci's fseval): as root they
 * are done; as another user what the kernel would refuse is reported as refused. A refusal is
 * an error, or with `ignoreErrors` a warning said once per kind.
 */
import { fchownSync, lchownSync } from 'node:fs';
import { UndockerError, isErrno } from '../errors.js';
import { runTool } from '../host/tools.js';

/** RefusalKind names what a filesystem may refuse to a non-root user. */
export type RefusalKind = 'ownership' | 'device nodes' | 'extended attributes';

/** Warn receives one warning line. */
export type Warn = (message: string) => void;

/** FsOps is the set of privileged operations the directory writer uses. */
export interface FsOps {
  /** chown gives ownership of `path`, or of the open `fd` for it when given. */
  chown(path: Buffer, uid: number, gid: number, where: string, fd?: number): void;
  /** mknod and mkfifo return false when the node was refused and only warned about. */
  mknod(path: string, kind: 'char' | 'block', mode: number, major: number, minor: number, where: string): boolean;
  mkfifo(path: string, mode: number, where: string): boolean;
  setXattr(path: string, name: string, value: Buffer, where: string): void;
}

/** createFsOps picks the operation set for this process. */
export function createFsOps(options: { ignoreErrors: boolean; warn: Warn; root?: boolean }): FsOps {
  const root = options.root ?? process.getuid?.() === 0;
  const warned = new Set<RefusalKind>();
  const refuse = (kind: RefusalKind, where: string, detail: string, cause?: unknown): void => {
    if (!options.ignoreErrors) {
      throw new UndockerError('UNDOCKER_FS_REFUSED', `${where}: ${detail}: run as root, or pass --ignore-errors to skip ${kind}`, { cause });
    }
    if (!warned.has(kind)) {
      warned.add(kind);
      options.warn(`warning: skipping ${kind} the filesystem refuses (first at ${where}: ${detail})`);
    }
  };
  const guarded = (kind: RefusalKind, where: string, detail: string, op: () => void): boolean => {
    try {
      op();
      return true;
    } catch (error) {
      if (!isErrno(error, 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP')) throw error;
      refuse(kind, where, detail, error);
      return false;
    }
  };
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return {
    chown(path, owner, group, where, fd) {
      if (!root && owner === uid && group === gid) return;
      if (!root) return refuse('ownership', where, `cannot give ownership ${owner}:${group} as uid ${uid}`);
      guarded('ownership', where, `cannot give ownership ${owner}:${group}`, () => (fd === undefined ? lchownSync(path, owner, group) : fchownSync(fd, owner, group)));
    },
    mknod(path, kind, mode, major, minor, where) {
      if (!root) {
        refuse('device nodes', where, `cannot create a ${kind} device as uid ${uid}`);
        return false;
      }
      return guarded('device nodes', where, `cannot create a ${kind} device`, () =>
        runTool('mknod', ['-m', (mode & 0o7777).toString(8), path, kind === 'char' ? 'c' : 'b', String(major), String(minor)]));
    },
    mkfifo(path, mode, where) {
      return guarded('device nodes', where, 'cannot create a fifo', () => runTool('mkfifo', ['-m', (mode & 0o7777).toString(8), path]));
    },
    setXattr(path, name, value, where) {
      if (!root && !name.startsWith('user.')) return refuse('extended attributes', where, `cannot set ${name} as uid ${uid}`);
      void guarded('extended attributes', where, `cannot set ${name}`, () =>
        runTool('setfattr', ['-h', '-n', name, '-v', `0x${value.toString('hex')}`, path]));
    },
  };
}
