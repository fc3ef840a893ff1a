/**
 * /dev/shm as Docker mounts it: a tmpfs of --shm-size, 64 MiB by default, where systemd-nspawn
 * would give half the memory. Runs and generated configs alike mount it.
 */

/** DOCKER_SHM_SIZE is the /dev/shm Docker gives a container: 64 MiB. */
export const DOCKER_SHM_SIZE = 64 * 1024 * 1024;

/** shmMount is /dev/shm of `bytes` as a tmpfs path and its mount options. */
export function shmMount(bytes: number = DOCKER_SHM_SIZE): { path: string; options: string } {
  return { path: '/dev/shm', options: `rw,nosuid,nodev,noexec,size=${Math.ceil(bytes / 1024)}k` };
}
