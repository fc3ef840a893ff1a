/**
 * The overlay a run writes to: the cached rootfs as the read-only lower layer, the container's
 * own upper directory on top, so the cache never changes and every run starts from the image.
 * It is mounted in a mount namespace of the runtime's own (unshare(1)), so it lives exactly as
 * long as the container: nothing is left mounted when undocker is killed, even with SIGKILL.
 */
import { chmod, chown, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UndockerError } from '../errors.js';
import type { ContainerDirs } from '../cache/container-dirs.js';
import type { Launch } from './run-container.js';

/**
 * MOUNT_THEN_EXEC runs as `sh -c SCRIPT sh OPTIONS MOUNTPOINT PROGRAM ARGS...` in the new
 * namespace: it mounts, reports a failure on fd 3 (the runtime's own output stays the user's),
 * closes fd 3 so undocker sees its end, and becomes the runtime, which keeps the pid undocker
 * signals.
 */
const MOUNT_THEN_EXEC =
  'if ! err=$(mount -t overlay overlay -o "$1" "$2" 2>&1); then printf %s "$err" >&3; exit 1; fi; exec 3>&-; shift ' +
  '2; exec "$@"';

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
    await mkdir(join(upper, parent), { mode: 0o755 }).then(
      () => copyOwnership(join(lower, parent), join(upper, parent)),
      () => undefined,
    );
    await writeFile(join(upper, file), '', { flag: 'wx', mode: 0o644 }).catch(() => undefined);
  }
}

/**
 * inOverlay readies the container's upper layer (with `add` made in it) and returns `launch`
 * wrapped to run on `lower` + that layer, mounted on the container's merged folder.
 */
export async function inOverlay(
  launch: Launch,
  lower: string,
  dirs: ContainerDirs,
  add: MountPoints = { dirs: [], files: [] },
): Promise<Launch> {
  // Paths are undocker's own cache folders; overlayfs options cannot hold `,` or `:` in them.
  if (/[,:]/.test(lower + dirs.upper + dirs.work))
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `the cache path ${lower} holds , or :, which an overlay mount cannot take: set UNDOCKER_CACHE`,
    );
  await prepareUpper(lower, dirs.upper, add);
  const options = `lowerdir=${lower},upperdir=${dirs.upper},workdir=${dirs.work}`;
  return {
    ...launch,
    program: 'unshare',
    args: [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      MOUNT_THEN_EXEC,
      'sh',
      options,
      dirs.merged,
      launch.program,
      ...launch.args,
    ],
    // mount(8) adds a line pointing at dmesg: the first says what failed.
    setupFailure: (detail) =>
      new UndockerError(
        'UNDOCKER_FS_REFUSED',
        `cannot mount the overlay for container ${dirs.name}: ${detail.trim().split('\n')[0] ?? ''}`,
      ),
  };
}
