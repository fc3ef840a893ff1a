/**
 * /dev/shm as Docker mounts it: a tmpfs of --shm-size, 64 MiB by default, where systemd-nspawn
 * would give half the memory. Runs and generated configs alike mount it.
 */
import { DOCKER_SHM_SIZE } from '../config/tmpfs-ulimits.js';

/** shmMount is /dev/shm of `bytes` as a tmpfs path and its mount options. */
export function shmMount(bytes: number = DOCKER_SHM_SIZE): { path: string; options: string } {
  return { path: '/dev/shm', options: `rw,nosuid,nodev,noexec,size=${Math.ceil(bytes / 1024)}k` };
}
