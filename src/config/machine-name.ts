/**
 * Names for containers made from an image: `docker.io/library/nginx:1.27` becomes `nginx`, a
 * valid hostname and systemd machine name (letters, digits, `-`, at most 63 characters).
 */
import { UsageError } from '../errors.js';

const VALID = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** toMachineName derives a machine name from an image name such as `repo/app:tag`. */
export function toMachineName(imageName: string | undefined): string {
  const repository = (imageName ?? '').replace(/:[^/:]*$/, '');
  const last = repository.slice(repository.lastIndexOf('/') + 1);
  const cleaned = last
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return cleaned === '' ? 'container' : cleaned;
}

/** checkMachineName refuses a name that systemd-nspawn or LXC would not take. */
export function checkMachineName(name: string): string {
  if (!VALID.test(name))
    throw new UsageError(`--name ${JSON.stringify(name)}: use letters, digits and inner dashes, at most 63 characters`);
  return name;
}
