/**
 * Path resolution as a chroot does it, over any tree of nodes: one component at a time, `..` at
 * the root stays at the root, an absolute symlink restarts at the root, so no path ever leaves
 * the tree. The in-memory FsTree and an extracted rootfs directory both resolve through here.
 */
import { UndockerError } from '../errors.js';

/** MAX_SYMLINK_HOPS is Linux's limit on symlinks followed in one lookup (MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;

/** ChrootTree is what walkChroot needs of a tree: its root, and each node's parent, children and link. */
export interface ChrootTree<N> {
  readonly root: N;
  /** parentOf is a node's parent, undefined for the root. */
  parentOf(node: N): N | undefined;
  /** childOf is the node named `name` in directory `node`, undefined when there is none. */
  childOf(node: N, name: string): N | undefined;
  isDirectory(node: N): boolean;
  /** symlinkTarget is a symlink's target, undefined for anything else. */
  symlinkTarget(node: N): string | undefined;
  /** pathOf names a node in messages. */
  pathOf(node: N): string;
}

/** WalkOptions say whether the last component's symlink is followed, and how missing directories are made. */
export interface WalkOptions<N> {
  followLast: boolean;
  /** makeDir makes a missing directory; without it a missing name ends the walk with undefined */
  makeDir?: (parent: N, name: string) => N;
}

/**
 * walkChroot resolves `components` from the root of `tree`, following symlinks in every component
 * but the last (and the last too when `followLast`); it throws on a non-directory in the middle
 * of a path and on a symlink loop.
 */
export function walkChroot<N>(
  tree: ChrootTree<N>,
  components: readonly string[],
  options: WalkOptions<N>,
): N | undefined {
  let current = tree.root;
  const queue = [...components];
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = tree.parentOf(current) ?? current;
      continue;
    }
    if (!tree.isDirectory(current))
      throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${tree.pathOf(current)} is not a directory`);
    let child = tree.childOf(current, part);
    if (child === undefined) {
      if (options.makeDir === undefined) return undefined;
      child = options.makeDir(current, part);
    }
    const target = tree.symlinkTarget(child);
    if (target !== undefined && (queue.length > 0 || options.followLast)) {
      if (++hops > MAX_SYMLINK_HOPS)
        throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `too many levels of symbolic links at ${tree.pathOf(child)}`);
      if (target.startsWith('/')) current = tree.root;
      queue.unshift(...target.split('/'));
      continue;
    }
    current = child;
  }
  return current;
}
