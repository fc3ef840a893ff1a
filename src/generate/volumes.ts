/**
 * Where an image's Volumes live when a generator mounts them: a temporary file system by
 * default (Docker's anonymous volumes outlive nothing the user names either), or a directory
 * per volume under a host folder the user gives, named after the volume's path.
 */
import { join, resolve } from 'node:path';
import { UndockerError } from '../errors.js';

/** VolumeMount is one volume: the path in the container and, when bound, the host directory. */
export interface VolumeMount {
  path: string;
  hostPath?: string;
}

const PLAIN_PATH = /^\/[A-Za-z0-9_@%+=,./-]*$/;

/** toVolumeMounts places each volume path; `volumeDir` binds them under a host folder. */
export function toVolumeMounts(volumes: string[], volumeDir: string | undefined): VolumeMount[] {
  return volumes.map((path) => {
    if (!PLAIN_PATH.test(path) || path.split('/').includes('..')) {
      throw new UndockerError(
        'UNDOCKER_UNSUPPORTED',
        `volume ${JSON.stringify(path)}: only plain paths (letters, digits and _@%+=,.-) can be mounted`,
      );
    }
    if (volumeDir === undefined) return { path };
    const name = path.replace(/^\/+|\/+$/g, '').replace(/\//g, '-') || 'root';
    const hostPath = join(resolve(volumeDir), name);
    if (!PLAIN_PATH.test(hostPath))
      throw new UndockerError(
        'UNDOCKER_UNSUPPORTED',
        `--volume-dir ${JSON.stringify(volumeDir)}: only plain paths (letters, digits and _@%+=,.-) can be mounted`,
      );
    return { path, hostPath };
  });
}
