/**
 * The shell that runs the launcher inside a tree undocker writes: the host's busybox, which must
 * be statically linked (Debian's busybox-static) since it runs before anything is loaded and the
 * image may have no libc at all.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { UndockerError } from '../errors.js';
import { findProgram } from './runtime-check.js';

const PT_INTERP = 3;

/** isDynamicElf says whether the ELF header in `head` asks for a dynamic loader (a PT_INTERP program header). */
export function isDynamicElf(head: Buffer): boolean {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46) return false;
  const wide = head[4] === 2; // ELFCLASS64
  const little = head[5] === 1;
  const u16 = (at: number): number => (little ? head.readUInt16LE(at) : head.readUInt16BE(at));
  const u32 = (at: number): number => (little ? head.readUInt32LE(at) : head.readUInt32BE(at));
  const phoff = wide ? Number(little ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(28);
  const [entrySize, count] = wide ? [u16(54), u16(56)] : [u16(42), u16(44)];
  for (let i = 0; i < count; i++) {
    const at = phoff + i * entrySize;
    if (at + 4 > head.length) break;
    if (u32(at) === PT_INTERP) return true;
  }
  return false;
}

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** findLauncherShell returns the host's static busybox, or fails with the package to install. */
export function findLauncherShell(): string {
  const busybox = findProgram('busybox', `${process.env.PATH ?? ''}:/usr/bin:/bin`);
  if (busybox === undefined)
    throw new UndockerError('UNDOCKER_MISSING_TOOL', 'busybox not found: install the busybox-static package');
  if (isDynamicElf(readHead(busybox)))
    throw new UndockerError(
      'UNDOCKER_MISSING_TOOL',
      `${busybox} is dynamically linked and cannot run in an image without its libraries: install busybox-static`,
    );
  return busybox;
}
