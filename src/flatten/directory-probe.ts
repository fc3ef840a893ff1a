/**
 * A RootfsProbe over an extracted rootfs directory (the run cache): paths resolve as in a
 * chroot, one component at a time, so a symlink to `/etc/passwd` reads the rootfs's own file
 * and nothing outside the directory is ever read.
 */
import { lstatSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { RootfsProbe } from '../image/types.js';
import { type ChrootTree, walkChroot } from './chroot-walk.js';

const MAX_BYTES = 4 * 1024 * 1024;

/** DiskNode is a path below the root (components joined by `/`) and what lstat said of it. */
interface DiskNode {
  path: string;
  info: Stats;
}

function diskTree(root: string): ChrootTree<DiskNode> {
  const lstatOrUndefined = (path: string): Stats | undefined => {
    try {
      return lstatSync(join(root, path));
    } catch {
      return undefined;
    }
  };
  return {
    root: { path: '', info: lstatSync(root) },
    parentOf: (node) => {
      if (node.path === '') return undefined;
      const path = node.path.slice(0, Math.max(0, node.path.lastIndexOf('/')));
      const info = lstatOrUndefined(path);
      return info === undefined ? undefined : { path, info };
    },
    childOf: (node, name) => {
      const path = node.path === '' ? name : `${node.path}/${name}`;
      const info = lstatOrUndefined(path);
      return info === undefined ? undefined : { path, info };
    },
    isDirectory: (node) => node.info.isDirectory(),
    symlinkTarget: (node) => (node.info.isSymbolicLink() ? readlinkSync(join(root, node.path), 'utf8') : undefined),
    pathOf: (node) => node.path,
  };
}

function resolveInside(root: string, path: string): DiskNode | undefined {
  try {
    return walkChroot(diskTree(root), path.split('/'), { followLast: true });
  } catch {
    return undefined; // a loop, a file used as a directory, or an unreadable root: not there
  }
}

/** probeDirectory answers RootfsProbe questions from an extracted rootfs at `root`. */
export function probeDirectory(root: string): RootfsProbe {
  return {
    exists: (path) => resolveInside(root, path) !== undefined,
    text: (path) => {
      const node = resolveInside(root, path);
      return node?.info.isFile() && node.info.size <= MAX_BYTES
        ? readFileSync(join(root, node.path), 'utf8')
        : undefined;
    },
  };
}

/** resolveDirectory is the host path of directory `path` of the rootfs at `root`, symlinks resolved inside it. */
export function resolveDirectory(root: string, path: string): string | undefined {
  const node = resolveInside(root, path.replace(/^\/+/, ''));
  return node?.info.isDirectory() ? join(root, node.path) : undefined;
}
