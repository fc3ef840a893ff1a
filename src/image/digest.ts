/**
 * Digests in the OCI form `algorithm:hex`. undocker verifies sha256 and sha512 (ACI ids);
 * other algorithms are refused rather than silently trusted.
 */
import { createHash } from 'node:crypto';
import { BadArchiveError } from '../errors.js';
import { type ByteHash, hashFor } from '../stream/hash-thread.js';

const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

/** isDigest tells whether a string is a digest undocker can verify. */
export function isDigest(text: unknown): text is string {
  return typeof text === 'string' && DIGEST.test(text);
}

/** parseDigest splits a digest into algorithm and hex, or throws naming where it came from. */
export function parseDigest(text: unknown, where: string): { algorithm: string; hex: string } {
  if (!isDigest(text)) throw new BadArchiveError(`${where}: invalid or unsupported digest ${JSON.stringify(text)}`);
  const [algorithm, hex] = text.split(':') as [string, string];
  return { algorithm, hex };
}

/** hasherFor starts a hash for a digest's algorithm, of about `expectedBytes` (large ones hash on a thread). */
export function hasherFor(digest: string, expectedBytes = 0): ByteHash {
  return hashFor(digest.startsWith('sha512:') ? 'sha512' : 'sha256', expectedBytes);
}

/** sha256Of returns the sha256 digest of bytes. */
export function sha256Of(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** hexOf is a sha256 digest or id without its `sha256:` prefix: the name the cache keeps it under. */
export function hexOf(id: string): string {
  return id.replace(/^sha256:/, '');
}

/** shortId shortens a digest or id for display, as Docker does (12 hex digits). */
export function shortId(id: string): string {
  const hex = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return hex.slice(0, 12);
}
