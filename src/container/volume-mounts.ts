/**
 * docker run's -v in its three forms: `/host:/path[:ro]` binds a host folder, `NAME:/path[:ro]`
 * mounts named volume NAME, and `/path` alone an anonymous volume. An image VOLUME that no -v
 * covers gets an anonymous volume too, filled, like a new named volume, from the image's content
 * at that path.
 */
import type { BindMount } from '../launch/run-request.js';
import { UsageError } from '../errors.js';
import { checkVolumeName } from './volume-store.js';

/** VolumeRequest is one -v that names a volume: a name, or none for an anonymous one. */
export interface VolumeRequest {
  name?: string;
  container: string;
  readOnly: boolean;
}

/** VolumeMount is a volume a container mounts, as its config records it. */
export interface VolumeMount {
  name: string;
  container: string;
  readOnly: boolean;
  anonymous: boolean;
}

/** parseVolumeFlag reads one -v value: a bind mount or a volume. */
export function parseVolumeFlag(text: string): { bind: BindMount } | { volume: VolumeRequest } {
  const parts = text.split(':');
  const [source = '', container, mode] = parts;
  const badMode = mode !== undefined && mode !== 'ro' && mode !== 'rw';
  if (parts.length === 1 && source.startsWith('/')) return { volume: { container: source, readOnly: false } };
  if (parts.length < 2 || parts.length > 3 || !container?.startsWith('/') || badMode || source === '')
    throw new UsageError(`-v ${text}: use /HOST:/CONTAINER[:ro], VOLUME:/CONTAINER[:ro], or /CONTAINER`);
  const readOnly = mode === 'ro';
  if (source.startsWith('/')) return { bind: { host: source, container, readOnly } };
  return { volume: { name: checkVolumeName(source, `-v ${text}`), container, readOnly } };
}

/** cleanPath is a container path without trailing or doubled slashes, to compare mount targets. */
export function cleanPath(path: string): string {
  return `/${path
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/')}`;
}
