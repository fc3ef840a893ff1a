/**
 * Removing a container, as `docker rm` does: its folder and name, and with `volumes` (rm -v,
 * --rm) its anonymous volumes; named volumes outlive it.
 */
import { listContainers, deleteContainer, type Container } from './records.js';
import { deleteVolume } from './volume-store.js';

/** volumeUsers names the containers that mount volume `name`. */
export function volumeUsers(root: string, name: string): string[] {
  return listContainers(root)
    .filter((c) => c.config.volumes.some((v) => v.name === name))
    .map((c) => c.config.name);
}

/** removeContainer deletes a container that is not running, and its anonymous volumes when asked. */
export function removeContainer(root: string, container: Container, options: { volumes: boolean }): void {
  deleteContainer(root, container);
  if (!options.volumes) return;
  for (const volume of container.config.volumes) {
    if (volume.anonymous && volumeUsers(root, volume.name).length === 0) deleteVolume(root, volume.name);
  }
}
