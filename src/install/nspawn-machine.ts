/**
 * A machinectl image: the rootfs at `<machines>/NAME` and its settings at
 * `<nspawn>/NAME.nspawn`, where `systemd-nspawn -M NAME` and `machinectl start NAME` look.
 * Uninstalling removes both, and only when the settings file is undocker's.
 */
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno, UndockerError } from '../errors.js';
import type { AddedTree } from '../flatten/added-tree.js';
import { unpackRootfs } from '../flatten/rootfs.js';
import { isGeneratedByUndocker } from '../generate/header.js';
import type { Image } from '../image/types.js';
import { writeFileAtomically } from '../output/atomic.js';

/** MACHINES_DIR and NSPAWN_DIR are where systemd looks by default. */
export const MACHINES_DIR = '/var/lib/machines';
export const NSPAWN_DIR = '/etc/systemd/nspawn';

/** NspawnPlaces are the folders a machine goes in. */
export interface NspawnPlaces {
  machinesDir: string;
  nspawnDir: string;
}

/** machinePaths are the rootfs folder and the settings file of machine `name`. */
export function machinePaths(name: string, places: NspawnPlaces): { rootfs: string; unit: string } {
  return { rootfs: join(places.machinesDir, name), unit: join(places.nspawnDir, `${name}.nspawn`) };
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    (error: unknown) => (isErrno(error, 'ENOENT') ? false : Promise.reject(error)),
  );

/**
 * installNspawnMachine writes the rootfs, then the settings file `unit`; it refuses an existing machine unless `force`.
 */
export async function installNspawnMachine(
  image: Image,
  name: string,
  unit: string,
  places: NspawnPlaces & {
    force: boolean;
    signal?: AbortSignal;
    warn?: (message: string) => void;
    /** helper is undocker's folder in the tree: the identity helper and the launcher */
    helper?: AddedTree;
  },
): Promise<{ rootfs: string; unit: string }> {
  const paths = machinePaths(name, places);
  const had = await exists(paths.rootfs);
  if (!places.force && (had || (await exists(paths.unit)))) {
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `machine ${name} exists (${had ? paths.rootfs : paths.unit}): pass --force to replace it, or undocker ` +
        `uninstall ${name} first`,
    );
  }
  await mkdir(places.machinesDir, { recursive: true });
  await mkdir(places.nspawnDir, { recursive: true });
  await unpackRootfs(image, paths.rootfs, {
    force: places.force,
    ...(places.signal ? { signal: places.signal } : {}),
    ...(places.warn ? { warn: places.warn } : {}),
    ...(places.helper ? { added: places.helper } : {}),
  });
  try {
    // systemd-nspawn refuses a tree without /usr, which images of one static binary are.
    if (!(await exists(join(paths.rootfs, 'usr')))) {
      await mkdir(join(paths.rootfs, 'usr'), { mode: 0o755 });
      places.warn?.(
        `warning: the image has no /usr, without which systemd-nspawn refuses to start a machine: made an empty ` +
          `${join(paths.rootfs, 'usr')}`,
      );
    }
    await writeFileAtomically(paths.unit, async (stream) => {
      await new Promise<void>((resolve, reject) =>
        stream.end(unit, (error?: Error | null) => (error ? reject(error) : resolve())),
      );
    });
  } catch (error) {
    if (!had) await rm(paths.rootfs, { recursive: true, force: true });
    throw error;
  }
  return paths;
}

/** uninstallNspawnMachine removes machine `name` if undocker installed it; false when there is none. */
export async function uninstallNspawnMachine(name: string, places: NspawnPlaces): Promise<boolean> {
  const paths = machinePaths(name, places);
  let unit: string;
  try {
    unit = await readFile(paths.unit, 'utf8');
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    if (await exists(paths.rootfs))
      throw new UndockerError(
        'UNDOCKER_NOT_FOUND',
        `machine ${name} (${paths.rootfs}) has no ${paths.unit}: undocker did not install it, and leaves it alone`,
      );
    return false;
  }
  if (!isGeneratedByUndocker(unit))
    throw new UndockerError(
      'UNDOCKER_NOT_FOUND',
      `${paths.unit} was not written by undocker: leaving machine ${name} alone`,
    );
  await rm(paths.rootfs, { recursive: true, force: true });
  await rm(paths.unit, { force: true });
  return true;
}
