/**
 * MemberSet is random access to the files of an archive, whether it is a tar (read through an
 * index of member offsets) or a directory. Sources read manifests and open layers through it.
 */
import type { Readable } from 'node:stream';
import type { LayerFile } from './types.js';

/**
 * READ_CHUNK is the read size for members: 256 KiB measured faster than 1 MiB when extracting
 * into a directory here, and leaves less garbage between collections.
 */
export const READ_CHUNK = 256 * 1024;

/** MemberSet is the files of an archive by their cleaned relative paths. */
export interface MemberSet {
  /** where names the archive in messages. */
  readonly where: string;
  has(path: string): boolean;
  /** size is a member's size in bytes, or undefined when there is no such member. */
  size(path: string): number | undefined;
  /** paths lists every regular file, symlinks and hardlinks included. */
  paths(): string[];
  open(path: string): Readable;
  /** openFile gives positional access to a member, for reading its tar headers by seeking. */
  openFile(path: string): Promise<LayerFile>;
  /** openWhole re-opens the entire archive as one tar stream, where the set is a tar. */
  openWhole?(): Readable;
  close(): Promise<void>;
}

/** cleanMemberPath normalises an archive member name: no leading `./` or `/`, no `.` or `..` parts. */
export function cleanMemberPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** joinMemberLink resolves a link target found in member `from` to a member path. */
export function joinMemberLink(from: string, target: string): string {
  if (target.startsWith('/')) return cleanMemberPath(target);
  const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/')) : '';
  return cleanMemberPath(`${dir}/${target}`);
}
