/**
 * TarMembers indexes a tar file once by its headers (data is skipped by seeking) and opens
 * members as ranges of the file, so no member is read until it is needed.
 */
import type { FileHandle } from 'node:fs/promises';
import type { LayerFile } from './types.js';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { BadArchiveError } from '../errors.js';
import { FileBytes } from '../stream/file-bytes.js';
import { readTar } from '../tar/reader.js';
import { cleanMemberPath, joinMemberLink, READ_CHUNK, type MemberSet } from './members.js';

interface IndexedMember {
  offset: number;
  size: number;
  link?: { hard: boolean; target: string };
}

const MAX_LINK_HOPS = 16;

/** TarMembers is a MemberSet over a tar file held open by a FileHandle. */
export class TarMembers implements MemberSet {
  private constructor(
    readonly where: string,
    private readonly handle: FileHandle,
    private readonly length: number,
    private readonly members: Map<string, IndexedMember>,
    private readonly ownsHandle: boolean,
  ) {}

  /** index reads the headers of the tar in `handle` and returns its member set. */
  static async index(where: string, handle: FileHandle, ownsHandle = true): Promise<TarMembers> {
    const { size } = await handle.stat();
    const members = new Map<string, IndexedMember>();
    const bytes = new FileBytes(handle, 0, size);
    for await (const { entry, offset } of readTar(bytes, { where })) {
      const path = cleanMemberPath(entry.path);
      if (entry.type === 'file') members.set(path, { offset, size: entry.size });
      else if (entry.type === 'symlink' || entry.type === 'hardlink') {
        members.set(path, { offset: 0, size: 0, link: { hard: entry.type === 'hardlink', target: entry.linkname } });
      }
    }
    return new TarMembers(where, handle, size, members, ownsHandle);
  }

  private resolve(path: string): IndexedMember | undefined {
    let current = cleanMemberPath(path);
    for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
      const member = this.members.get(current);
      if (member?.link === undefined) return member;
      // Hardlink names are archive-relative; symlink targets are relative to the link's folder.
      current = member.link.hard ? cleanMemberPath(member.link.target) : joinMemberLink(current, member.link.target);
    }
    return undefined;
  }

  has(path: string): boolean {
    return this.resolve(path) !== undefined;
  }

  size(path: string): number | undefined {
    return this.resolve(path)?.size;
  }

  paths(): string[] {
    return [...this.members.keys()];
  }

  open(path: string): Readable {
    const member = this.resolve(path);
    if (member === undefined) throw new BadArchiveError(`${this.where}: missing member ${path}`);
    if (member.size === 0) return Readable.from([]);
    return this.range(member.offset, member.size);
  }

  async openFile(path: string): Promise<LayerFile> {
    const member = this.resolve(path);
    if (member === undefined) throw new BadArchiveError(`${this.where}: missing member ${path}`);
    return { handle: this.handle, start: member.offset, size: member.size, close: async () => undefined };
  }

  openWhole(): Readable {
    return this.range(0, this.length);
  }

  /**
   * range reads part of the file by position through its descriptor: a FileHandle stream would add a listener to the
   * handle per member.
   */
  private range(start: number, size: number): Readable {
    if (size === 0) return Readable.from([]);
    return createReadStream('', {
      fd: this.handle.fd,
      start,
      end: start + size - 1,
      autoClose: false,
      highWaterMark: READ_CHUNK,
    });
  }

  async close(): Promise<void> {
    if (this.ownsHandle) await this.handle.close();
  }
}
