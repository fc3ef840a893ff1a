/**
 * A container's /dev/shm, --tmpfs mounts and --ulimit limits as LXC config lines, the same for
 * `undocker run`'s config and the generated ones: lxc.mount.entry paths are relative to the
 * rootfs, and create=dir makes a missing mount point.
 */
import { toLimitPair, type Walls } from '../config/tmpfs-ulimits.js';
import { shmMount } from './docker-shm.js';
import { toLxcValue } from './lxc-quote.js';

/** lxcTmpfsLines mount /dev/shm of the walls' size and each --tmpfs (whose paths hold no whitespace). */
export function lxcTmpfsLines(walls: Walls): string[] {
  return [shmMount(walls.shmSize), ...walls.tmpfs].map(
    (t) => `lxc.mount.entry = tmpfs ${toLxcValue(t.path, '--tmpfs path').slice(1)} tmpfs ${t.options},create=dir 0 0`,
  );
}

/** lxcPrlimitLines are --ulimit as lxc.prlimit settings. */
export function lxcPrlimitLines(walls: Walls): string[] {
  return walls.ulimits.map((ulimit) => `lxc.prlimit.${ulimit.name} = ${toLimitPair(ulimit, 'unlimited')}`);
}
