/**
 * The overlay a run writes to: the cached rootfs as the read-only lower layer, the container's
 * own upper directory on top, so the cache never changes and every run starts from the image.
 * mount(8) runs through node:child_process, not execa: a warm run's whole budget is 150 ms and
 * importing execa alone takes more than that on a small machine.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { UndockerError } from '../errors.js';
import type { ContainerDirs } from '../cache/container-dirs.js';

const run = promisify(execFile);

/** MountPoints are folders and empty files the runtime needs that the image lacks. */
export interface MountPoints {
  dirs: string[];
  files: string[];
}

/** copyOwnership gives an upper-layer folder the mode and owner of its lower-layer twin, which the overlay shows. */
async function copyOwnership(lower: string, upper: string): Promise<void> {
  const info = await stat(lower).catch(() => undefined);
  if (info === undefined) return;
  await chown(upper, info.uid, info.gid);
  await chmod(upper, info.mode & 0o7777);
}

/**
 * prepareUpper readies a container's upper layer: a fresh one gets the image's root mode and
 * owner (else a non-root user could not even enter `/`, as undocker makes its folders 0700),
 * and `add` is made in it.
 */
async function prepareUpper(lower: string, upper: string, add: MountPoints): Promise<void> {
  if ((await readdir(upper)).length === 0) await copyOwnership(lower, upper);
  for (const dir of add.dirs) await mkdir(join(upper, dir), { mode: 0o755 }).catch(() => undefined);
  for (const file of add.files) {
    const parent = dirname(file);
    await mkdir(join(upper, parent), { mode: 0o755 }).then(() => copyOwnership(join(lower, parent), join(upper, parent)), () => undefined);
    await writeFile(join(upper, file), '', { flag: 'wx', mode: 0o644 }).catch(() => undefined);
  }
}

/** mountOverlay mounts `lower` + the container's upper on its merged folder; `add` is made in the upper layer only. */
export async function mountOverlay(lower: string, dirs: ContainerDirs, add: MountPoints = { dirs: [], files: [] }): Promise<void> {
  // Paths are undocker's own cache folders; overlayfs options cannot hold `,` or `:` in them.
  if (/[,:]/.test(lower + dirs.upper + dirs.work)) throw new UndockerError('UNDOCKER_UNSUPPORTED', `the cache path ${lower} holds , or :, which an overlay mount cannot take: set UNDOCKER_CACHE`);
  await prepareUpper(lower, dirs.upper, add);
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${dirs.upper},workdir=${dirs.work}`, dirs.merged]);
  } catch (error) {
    const detail = String((error as { stderr?: unknown }).stderr ?? (error as Error).message).trim();
    throw new UndockerError('UNDOCKER_FS_REFUSED', `cannot mount the overlay for container ${dirs.name}: ${detail}`, { cause: error });
  }
}

/** unmountOverlay unmounts the merged folder (lazily, should a process still hold it). */
export async function unmountOverlay(dirs: ContainerDirs): Promise<void> {
  await run('umount', ['--lazy', dirs.merged]).catch(() => undefined);
}
