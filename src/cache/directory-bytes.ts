/**
 * directoryBytes adds up the sizes of the files below a folder (each inode once), for
 * `undocker images`. Memory stays flat in the number of files: folders are read a batch of
 * entries at a time, and only files with more than one link are remembered, to count them once
 * (a set of every inode costs tens of bytes a file: tens of megabytes for a layer of a million).
 */
import { lstatSync, opendirSync } from 'node:fs';
import { join } from 'node:path';

/** directoryBytes returns the bytes of the regular files below `root`. */
export function directoryBytes(root: string): number {
  const linked = new Set<number>();
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    const dir = opendirSync(path);
    try {
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        const child = join(path, entry.name);
        if (entry.isDirectory()) stack.push(child);
        else if (entry.isFile()) {
          const info = lstatSync(child);
          if (info.nlink > 1) {
            if (linked.has(info.ino)) continue;
            linked.add(info.ino);
          }
          total += info.size;
        }
      }
    } finally {
      dir.closeSync();
    }
  }
  return total;
}
