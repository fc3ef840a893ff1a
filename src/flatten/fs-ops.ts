/**
 * Privileged filesystem operations, in two sets chosen once (as umoci's fseval): as root they
 * are done; as another user what the kernel would refuse is reported as refused. A refusal is
 * an error, or with `ignoreErrors` a warning said once per kind.
 */
import { randomBytes } from 'node:crypto';
import { fchownSync, lchownSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { UndockerError, isErrno } from '../errors.js';
import { runTool } from '../host/tools.js';

/** RefusalKind names what a filesystem may refuse to a non-root user. */
export type RefusalKind = 'ownership' | 'device nodes' | 'extended attributes';

/** Warn receives one warning line. */
export type Warn = (message: string) => void;

/** FsOps is the set of privileged operations the directory writer uses. Paths are bytes, passed on byte for byte. */
export interface FsOps {
  /** createsAs tells whether new inodes get owner `uid`:`gid` without a chown: those of this process. */
  createsAs(uid: number, gid: number): boolean;
  /**
   * chown gives ownership of `path`, or of the open `fd` for it when given; false when refused and only warned about.
   */
  chown(path: Buffer, uid: number, gid: number, where: string, fd?: number): boolean;
  /** mknod and mkfifo return false when the node was refused and only warned about. */
  mknod(path: Buffer, kind: 'char' | 'block', mode: number, major: number, minor: number, where: string): boolean;
  mkfifo(path: Buffer, mode: number, where: string): boolean;
  setXattr(path: Buffer, name: string, value: Buffer, where: string): void;
}

/** isArgvSafe tells whether a path survives as a program argument: Node passes arguments as UTF-8 text. */
function isArgvSafe(path: Buffer): boolean {
  return Buffer.from(path.toString('utf8'), 'utf8').equals(path);
}

/** dumpQuoted writes a path as getfattr's dump format quotes it: octal escapes for all but plain characters. */
function dumpQuoted(path: Buffer): string {
  let out = '';
  for (const byte of path)
    out += /[A-Za-z0-9/._+,:@-]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `\\${byte.toString(8).padStart(3, '0')}`;
  return out;
}

/**
 * makeNode runs mknod or mkfifo on `path`. A name that is not UTF-8 cannot be an argument, so
 * the node is made under a plain name in `scratch` (on the same filesystem) and renamed.
 */
function makeNode(program: 'mknod' | 'mkfifo', path: Buffer, scratch: string, args: (path: string) => string[]): void {
  if (isArgvSafe(path)) return runTool(program, args(path.toString('utf8')));
  const temporary = join(scratch, `.undocker-node-${process.pid}-${randomBytes(6).toString('hex')}`);
  runTool(program, args(temporary));
  renameSync(temporary, path);
}

/** setXattrOn runs setfattr; a name that is not UTF-8 goes through its --restore input, which takes octal escapes. */
function setXattrOn(path: Buffer, name: string, value: Buffer): void {
  const hex = `0x${value.toString('hex')}`;
  if (isArgvSafe(path)) return runTool('setfattr', ['-h', '-n', name, '-v', hex, path.toString('utf8')]);
  runTool('setfattr', ['-h', '--restore=-'], Buffer.from(`# file: ${dumpQuoted(path)}\n${name}=${hex}\n\n`));
}

/** createFsOps picks the operation set for this process; `scratch` is a folder on the target's filesystem. */
export function createFsOps(options: { ignoreErrors: boolean; warn: Warn; scratch: string; root?: boolean }): FsOps {
  const root = options.root ?? process.getuid?.() === 0;
  const warned = new Set<RefusalKind>();
  const refuse = (kind: RefusalKind, where: string, detail: string, cause?: unknown): false => {
    if (!options.ignoreErrors) {
      throw new UndockerError(
        'UNDOCKER_FS_REFUSED',
        `${where}: ${detail}: run as root, or pass --ignore-errors to skip ${kind}`,
        { cause },
      );
    }
    if (!warned.has(kind)) {
      warned.add(kind);
      const more = kind === 'ownership' ? '; setuid and setgid bits are dropped where the owner is not kept' : '';
      options.warn(`warning: skipping ${kind} the filesystem refuses (first at ${where}: ${detail})${more}`);
    }
    return false;
  };
  const guarded = (kind: RefusalKind, where: string, detail: string, op: () => void): boolean => {
    try {
      op();
      return true;
    } catch (error) {
      if (!isErrno(error, 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP')) throw error;
      return refuse(kind, where, detail, error);
    }
  };
  const uid = process.geteuid?.() ?? 0;
  const gid = process.getegid?.() ?? 0;
  const createsAs = (owner: number, group: number): boolean => owner === uid && group === gid;
  return {
    createsAs,
    chown(path, owner, group, where, fd) {
      if (!root && createsAs(owner, group)) return true;
      if (!root) return refuse('ownership', where, `cannot give ownership ${owner}:${group} as uid ${uid}`);
      return guarded('ownership', where, `cannot give ownership ${owner}:${group}`, () =>
        fd === undefined ? lchownSync(path, owner, group) : fchownSync(fd, owner, group),
      );
    },
    mknod(path, kind, mode, major, minor, where) {
      if (!root) return refuse('device nodes', where, `cannot create a ${kind} device as uid ${uid}`);
      return guarded('device nodes', where, `cannot create a ${kind} device`, () =>
        makeNode('mknod', path, options.scratch, (name) => [
          '-m',
          (mode & 0o7777).toString(8),
          name,
          kind === 'char' ? 'c' : 'b',
          String(major),
          String(minor),
        ]),
      );
    },
    mkfifo(path, mode, where) {
      return guarded('device nodes', where, 'cannot create a fifo', () =>
        makeNode('mkfifo', path, options.scratch, (name) => ['-m', (mode & 0o7777).toString(8), name]),
      );
    },
    setXattr(path, name, value, where) {
      if (!root && !name.startsWith('user.'))
        return void refuse('extended attributes', where, `cannot set ${name} as uid ${uid}`);
      void guarded('extended attributes', where, `cannot set ${name}`, () => setXattrOn(path, name, value));
    },
  };
}
