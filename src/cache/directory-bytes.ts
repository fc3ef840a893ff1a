/**
 * directoryBytes adds up the sizes of the files below a folder (each inode once), for
 * `undocker images`.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** directoryBytes returns the bytes of the regular files below `root`. */
export function directoryBytes(root: string): number {
  const seen = new Set<number>();
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) {
        const info = lstatSync(path);
        if (!seen.has(info.ino)) {
          seen.add(info.ino);
          total += info.size;
        }
      }
    }
  }
  return total;
}
