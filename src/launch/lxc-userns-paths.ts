/**
 * Where an LXC run under --userns=auto keeps what its container's root must reach: LXC refuses a
 * rootfs or an lxcpath that this unprivileged host id cannot pass through, and the cache is host
 * root's alone (0700). Both live under /run/undocker (tmpfs), passable but not listable by others.
 * Every such run mounts its own tree on the one LXC_USERNS_ROOTFS, and its volumes (idmapped) on
 * LXC_USERNS_VOLUMES/0, 1, …, in its own mount namespace, so they never meet.
 */
import { basename, join } from 'node:path';
import { chmodSync, mkdirSync } from 'node:fs';
import type { ContainerDirs } from '../cache/container-dirs.js';
import type { RunRequest } from './run-request.js';

const RUN_DIR = '/run/undocker';

/** LXC_USERNS_ROOTFS is the shared mount point: nothing is ever written into it. */
export const LXC_USERNS_ROOTFS = join(RUN_DIR, 'rootfs');

/** LXC_USERNS_VOLUMES holds the shared mount points of volumes, one per -v. */
export const LXC_USERNS_VOLUMES = join(RUN_DIR, 'volumes');

/** Place is where a start's tree is mounted, its lxcpath, and the request as the runtime gets it. */
export interface Place {
  rootfs: string;
  lxcPath: string;
  request: RunRequest;
  /** idmaps are folders to idmap onto where the runtime finds them */
  idmaps: Array<{ source: string; target: string }>;
}

/** lxcPathOf is the lxcpath (lxc-execute -P) of a container: its own folder, or one under /run for --userns=auto. */
export function lxcPathOf(dirs: ContainerDirs, request: Pick<RunRequest, 'userns'>): string {
  return request.userns === 'auto' ? join(RUN_DIR, 'lxc', basename(dirs.dir)) : dirs.dir;
}

/**
 * lxcUsernsPlace makes the mount points and the container's lxcpath, each passable by any id, and
 * returns the place: undocker's volumes (in the cache) are idmapped onto LXC_USERNS_VOLUMES/i,
 * and the runtime binds them from there.
 */
export function lxcUsernsPlace(dirs: ContainerDirs, request: RunRequest): Place {
  const lxcPath = lxcPathOf(dirs, { userns: 'auto' });
  const idmaps: Place['idmaps'] = [];
  const volumes = request.volumes.map((volume, i) => {
    if (volume.volume !== true) return volume;
    const target = join(LXC_USERNS_VOLUMES, String(i));
    idmaps.push({ source: volume.host, target });
    return { ...volume, host: target };
  });
  const made = [LXC_USERNS_ROOTFS, lxcPath, ...idmaps.map((m) => m.target)];
  for (const dir of made) mkdirSync(dir, { recursive: true, mode: 0o711 });
  for (const dir of [RUN_DIR, join(RUN_DIR, 'lxc'), LXC_USERNS_VOLUMES, ...made]) chmodSync(dir, 0o711);
  return { rootfs: LXC_USERNS_ROOTFS, lxcPath, request: { ...request, volumes }, idmaps };
}
