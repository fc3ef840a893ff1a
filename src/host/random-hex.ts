/**
 * Random names and ids (a container's id, the suffix of its default name) read from the kernel's
 * /dev/urandom: node:crypto's randomBytes would load node's crypto modules, ~3 ms and 0.3 MB of
 * a warm run that otherwise needs none of them.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** randomHex returns `bytes` random bytes as hex. */
export function randomHex(bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let done = 0; done < bytes;) done += readSync(fd, buffer, done, bytes - done, null);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('hex');
}
