/**
 * Entry paths as the Docker engine reads them: cleaned, absolute paths taken as relative to the
 * root, and `..` that would climb above the root refused.
 */
import { UnsafePathError } from '../errors.js';
import { toDisplay } from '../tar/entry.js';

/** splitEntryPath cleans a tar path into components; it throws for a path that leaves the root. */
export function splitEntryPath(path: string, where: string): string[] {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0)
        throw new UnsafePathError(`${where}: entry ${toDisplay(path)} points outside the root filesystem`);
      parts.pop();
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
