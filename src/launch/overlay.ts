/**
 * The overlay a run writes to: the image's diffs (or its flattened tree) as the read-only lower
 * layers, the container's own upper directory on top, so the cache never changes and every run
 * starts from the image.
 * It is mounted in a mount namespace of the runtime's own (by overlay-exec, src/host/overlay-exec.c,
 * or unshare(1) where the build had no C compiler), so it lives exactly as long as the container:
 * nothing is left mounted when undocker is killed, even with SIGKILL.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { UndockerError } from '../errors.js';
import type { ContainerDirs } from '../cache/container-dirs.js';
import type { ImageStack } from '../cache/image-cache.js';
import type { UidRange } from './uid-range.js';
import { idmapMountProgram, overlayExecArgs, overlayExecProgram } from '../host/c-helpers.js';
import type { Launch } from './run-container.js';

/**
 * MOUNT_THEN_EXEC, where overlay-exec was not built or idmap-mount runs first, does what
 * overlay-exec does. It runs as `sh -c SCRIPT sh DIR OPTIONS MOUNTPOINT PROGRAM ARGS...` in the new
 * namespace: it mounts (the options' paths relative to DIR, which keeps many layers within one
 * option page), reports a failure on fd 3 (the runtime's own output stays the user's), closes
 * fd 3 so undocker sees its end, and becomes the runtime, which keeps the pid undocker signals.
 */
const MOUNT_THEN_EXEC =
  'if ! err=$(cd "$1" && mount -t overlay overlay -o "$2" "$3" 2>&1); then printf %s "$err" >&3; exit 1; fi; ' +
  'exec 3>&-; shift 3; exec "$@"';

/** Idmap is --userns=auto's: the host ids, and folders besides the layers to idmap (source onto target). */
export interface Idmap {
  range: UidRange;
  idmaps?: Array<{ source: string; target: string }>;
}

/** MountPoints are folders and empty files the runtime needs that the image lacks. */
export interface MountPoints {
  dirs: string[];
  files: string[];
}

/** tried is what a file system call returns, or undefined where it failed: here a failure only means "not there". */
function tried<T>(call: () => T): T | undefined {
  try {
    return call();
  } catch {
    return undefined;
  }
}

/** copyOwnership gives an upper-layer folder the mode and owner of its lower-layer twin, which the overlay shows. */
function copyOwnership(lower: string, upper: string): void {
  const info = tried(() => statSync(lower));
  if (info === undefined) return;
  chownSync(upper, info.uid, info.gid);
  chmodSync(upper, info.mode & 0o7777);
}

/**
 * makeDir makes folder `path` in the upper layer, each folder on the way that the upper lacks
 * with its lower twin's mode and owner (the overlay shows the upper's), or 0755 root where the
 * image has none. It stops at what the image has as other than a folder (a symlink stays one).
 */
function makeDir(lower: string, upper: string, path: string): void {
  let at = '';
  for (const part of path.split('/').filter((name) => name !== '')) {
    at = join(at, part);
    const twin = tried(() => lstatSync(join(lower, at)));
    if (twin !== undefined && !twin.isDirectory()) return;
    const made =
      tried(() => {
        mkdirSync(join(upper, at), { mode: 0o755 });
        return true;
      }) ?? false;
    if (made && twin !== undefined) copyOwnership(join(lower, at), join(upper, at));
  }
}

/**
 * prepareUpper readies a container's upper layer: a fresh one gets the image's root mode and
 * owner (else a non-root user could not even enter `/`, as undocker makes its folders 0700),
 * and `add` is made in it. The calls are synchronous: a dozen tiny ones, each a round trip to
 * node's thread pool otherwise, took 8 ms of a warm run.
 */
function prepareUpper(lower: string, upper: string, add: MountPoints): void {
  if (readdirSync(upper).length === 0) copyOwnership(lower, upper);
  for (const dir of add.dirs) makeDir(lower, upper, dir);
  for (const file of add.files) {
    makeDir(lower, upper, dirname(file));
    tried(() => writeFileSync(join(upper, file), '', { flag: 'wx', mode: 0o644 }));
  }
}

/**
 * idmapArgv is the idmap-mount command (src/host/idmap-mount.c) that maps the overlay's layers to
 * `range` before the mount. Each lower layer is idmapped in place. The container's folder is
 * idmapped onto its own work folder, which only the overlay uses: upper and work must share one
 * mount, and the container's folder itself stays as it is, for what the runtime writes there as
 * host root.
 */
function idmapArgv(lower: ImageStack, dirs: ContainerDirs, idmap: Idmap): string[] {
  const layers = lower.lowerdir.split(':').map((layer) => join(lower.base, layer));
  const more = (idmap.idmaps ?? []).flatMap((m) => [m.source, m.target]);
  const pairs = [...layers.flatMap((layer) => [layer, layer]), dirs.dir, dirs.work, ...more];
  // fd 3 is the pipe undocker reads setup failures from, as MOUNT_THEN_EXEC's.
  return [idmapMountProgram(), '3', String(idmap.range.start), String(idmap.range.size), ...pairs, '--'];
}

/** idmappedFolders are the upper and work folders as the overlay finds them once idmapArgv has run. */
function idmappedFolders(dirs: ContainerDirs): { upper: string; work: string } {
  return { upper: join(dirs.work, basename(dirs.upper)), work: join(dirs.work, basename(dirs.work)) };
}

/**
 * inOverlay readies the container's upper layer (with `add` made in it) and returns `launch`
 * wrapped to run on the image (`lower`: its stack, and the folder showing it) + that layer,
 * mounted on the container's merged folder; with `idmap`, its layers idmapped to those host ids
 * (--userns=auto), so the container's ids show the image's owners and the cache never changes.
 * `helper` is overlay-exec, when built.
 */
export async function inOverlay(
  launch: Launch,
  lower: { dir: string; stack: ImageStack },
  dirs: ContainerDirs,
  add: MountPoints = { dirs: [], files: [] },
  idmap?: Idmap,
  helper: string | undefined = overlayExecProgram(),
): Promise<Launch> {
  const { base, lowerdir } = lower.stack;
  const folders = idmap === undefined ? dirs : idmappedFolders(dirs);
  const upper = relative(base, folders.upper);
  const work = relative(base, folders.work);
  // Paths are undocker's own cache folders; overlayfs options cannot hold `,` or `:` in them.
  if (/[,:]/.test(upper + work))
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `the cache path ${dirs.upper} holds , or :, which an overlay mount cannot take: set UNDOCKER_CACHE`,
    );
  prepareUpper(lower.dir, dirs.upper, add);
  const options = `lowerdir=${lowerdir},upperdir=${upper},workdir=${work}`;
  const command = [launch.program, ...launch.args];
  // One program before the runtime where there were three (unshare, sh, and mount in a fork of it): ~10 ms a run.
  const wrapped =
    helper !== undefined && idmap === undefined
      ? { program: helper, args: overlayExecArgs(base, options, dirs.merged, command) }
      : {
          program: 'unshare',
          args: [
            '--mount',
            '--propagation',
            'private',
            ...(idmap === undefined ? [] : idmapArgv(lower.stack, dirs, idmap)),
            ...['sh', '-c', MOUNT_THEN_EXEC, 'sh', base, options, dirs.merged, ...command],
          ],
        };
  return {
    ...launch,
    ...wrapped,
    // mount(8) adds a line pointing at dmesg: the first says what failed.
    setupFailure: (detail) =>
      new UndockerError(
        'UNDOCKER_FS_REFUSED',
        `cannot mount the overlay for container ${dirs.name}: ${detail.trim().split('\n')[0] ?? ''}`,
      ),
  };
}
