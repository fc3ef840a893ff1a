/**
 * A RootfsProbe over an extracted rootfs directory (the run cache): paths resolve as in a
 * chroot, one component at a time, so a symlink to `/etc/passwd` reads the rootfs's own file
 * and nothing outside the directory is ever read.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { RootfsProbe } from './rootfs-probe.js';

const MAX_HOPS = 40;
const MAX_BYTES = 4 * 1024 * 1024;

function resolveInside(root: string, path: string): string | undefined {
  const done: string[] = [];
  const queue = path.split('/');
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') { done.pop(); continue; }
    const here = join(root, ...done, part);
    let info;
    try {
      info = lstatSync(here);
    } catch {
      return undefined;
    }
    if (info.isSymbolicLink()) {
      if (++hops > MAX_HOPS) return undefined;
      const target = readlinkSync(here);
      if (target.startsWith('/')) done.length = 0;
      queue.unshift(...target.split('/'));
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

/** probeDirectory answers RootfsProbe questions from an extracted rootfs at `root`. */
export function probeDirectory(root: string): RootfsProbe {
  return {
    exists: (path) => resolveInside(root, path) !== undefined,
    text: (path) => {
      const real = resolveInside(root, path);
      if (real === undefined) return undefined;
      const info = lstatSync(real);
      return info.isFile() && info.size <= MAX_BYTES ? readFileSync(real, 'utf8') : undefined;
    },
  };
}
