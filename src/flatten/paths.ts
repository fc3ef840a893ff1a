/**
 * Entry paths as the Docker engine reads them: cleaned, absolute paths taken as relative to the
 * root, and `..` that would climb above the root refused.
 */
import { UndockerError, UnsafePathError } from '../errors.js';
import { toDisplay } from '../tar/entry.js';

/** MAX_NAME_BYTES is the longest name undocker keeps: far past Linux's 255, within the tree's 16-bit column. */
export const MAX_NAME_BYTES = 0xffff;

/** splitEntryPath cleans a tar path into components; it throws for a path that leaves the root. */
export function splitEntryPath(path: string, where: string): string[] {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0)
        throw new UnsafePathError(`${where}: entry ${toDisplay(path)} points outside the root filesystem`);
      parts.pop();
    } else if (part.length > MAX_NAME_BYTES) {
      throw new UndockerError(
        'UNDOCKER_BAD_ARCHIVE',
        `${where}: entry ${toDisplay(path.slice(0, 60))}… has a name of ${part.length} bytes, over ${MAX_NAME_BYTES}`,
      );
    } else parts.push(part);
  }
  return parts;
}

/** stripPrefix removes a layer's path prefix (an ACI's `rootfs/`), or returns undefined for paths outside it. */
export function stripPrefix(path: string, prefix: string | undefined): string | undefined {
  if (prefix === undefined) return path;
  const clean = path.replace(/^(\.?\/)+/, '');
  const bare = prefix.replace(/\/$/, '');
  if (clean === bare || clean === prefix) return '.';
  return clean.startsWith(prefix) ? clean.slice(prefix.length) : undefined;
}
