/**
 * Scratch filesystems for the directory benchmarks. Each timed run gets an ext4 made for it, so
 * no run pays for what an earlier one left: ext4 without a journal (as these VMs' root) skips,
 * on every inode allocation, each inode freed in the last minute (fs/ext4/ialloc.c
 * recently_deleted), so a run right after deleting the previous run's 43,000 files is up to
 * twice as slow, for undocker and tar alike, and by amounts that vary from run to run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Scratch is an empty folder for one run, and how to take it away. */
export interface Scratch {
  path: string;
  dispose(): void;
}

/** SCRATCH_KIND says what scratchFs makes here: a fresh ext4 needs root and mkfs.ext4. */
export const SCRATCH_KIND: 'fresh ext4' | 'folder' = ((): 'fresh ext4' | 'folder' => {
  if (process.getuid?.() !== 0) return 'folder';
  try {
    execFileSync('mkfs.ext4', ['-V'], { stdio: 'ignore' });
    return 'fresh ext4';
  } catch {
    return 'folder';
  }
})();

/**
 * scratchFs makes an empty folder below `dir`: on a new ext4 of `gib` GiB (with room for `inodes`
 * files, if given) where it can, else a plain folder.
 */
export function scratchFs(dir: string, name: string, gib = 6, inodes?: number): Scratch {
  const mount = join(dir, `${name}.mnt`);
  mkdirSync(mount);
  if (SCRATCH_KIND === 'folder') {
    return {
      path: mount,
      dispose: () => {
        rmSync(mount, { recursive: true, force: true });
        execFileSync('sync');
      },
    };
  }
  const image = join(dir, `${name}.ext4`);
  execFileSync('truncate', ['-s', `${gib}G`, image]);
  // Inode tables written now: the kernel's lazy initialisation would otherwise run during the timed run.
  const inodeArgs = inodes === undefined ? [] : ['-N', String(inodes)];
  execFileSync('mkfs.ext4', ['-q', '-F', ...inodeArgs, '-E', 'lazy_itable_init=0,lazy_journal_init=0', image]);
  execFileSync('mount', ['-o', 'loop', image, mount]);
  execFileSync('sync');
  return {
    path: mount,
    dispose: () => {
      execFileSync('umount', [mount]);
      rmSync(image, { force: true });
      rmSync(mount, { recursive: true, force: true });
    },
  };
}
