/**
 * Reading small JSON documents (manifests, configs, indexes) from an archive, with a size cap
 * so a hostile member cannot make undocker hold gigabytes, and their digest for verification.
 */
import { readSync } from 'node:fs';
import { BadArchiveError, DigestMismatchError } from '../errors.js';
import { sha256Of } from './digest.js';
import type { MemberSet } from './members.js';

/** MAX_JSON_BYTES caps the size of any JSON document read from an archive. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** readMemberBytes reads a whole member, refusing one larger than the cap. */
export async function readMemberBytes(members: MemberSet, path: string): Promise<Buffer> {
  const size = members.size(path);
  if (size === undefined) throw new BadArchiveError(`${members.where}: missing ${path}`);
  if (size > MAX_JSON_BYTES)
    throw new BadArchiveError(
      `${members.where}: ${path} is ${size} bytes, over the ${MAX_JSON_BYTES}-byte limit for a JSON document`,
    );
  // Positioned reads: a stream's machinery took 6 ms of a warm run for a document of a few KB.
  const file = await members.openFile(path);
  try {
    const bytes = Buffer.alloc(Math.min(size, file.size));
    for (let done = 0; done < bytes.length;) {
      const read = readSync(file.handle.fd, bytes, done, bytes.length - done, file.start + done);
      if (read === 0) throw new BadArchiveError(`${members.where}: ${path} ends at byte ${done} of ${bytes.length}`);
      done += read;
    }
    return bytes;
  } finally {
    await file.close();
  }
}

/** readMemberJson reads and parses a JSON member; with `digest`, its bytes must match it. */
export async function readMemberJson<T>(
  members: MemberSet,
  path: string,
  digest?: string,
): Promise<{ value: T; digest: string; bytes: Buffer }> {
  const bytes = await readMemberBytes(members, path);
  const actual = sha256Of(bytes);
  if (digest !== undefined && digest.startsWith('sha256:') && digest !== actual) {
    throw new DigestMismatchError(`${members.where}: ${path}`, digest, actual);
  }
  return { value: parseJsonDocument(bytes, `${members.where}: ${path}`) as T, digest: actual, bytes };
}

/** MAX_JSON_DEPTH is how deeply a document may nest: Go's encoding/json, which Docker uses, stops at 10,000. */
export const MAX_JSON_DEPTH = 10_000;

/** jsonDepth measures how deeply a JSON text nests its arrays and objects, skipping strings. */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** parseJsonDocument parses a JSON document from an archive or registry; `where` names it in errors. */
export function parseJsonDocument(bytes: Buffer, where: string): unknown {
  const text = bytes.toString('utf8');
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw new BadArchiveError(`${where}: JSON nested more than ${MAX_JSON_DEPTH} deep`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BadArchiveError(`${where}: malformed JSON: ${(error as Error).message}`, error);
  }
}

/** expectObject checks that a parsed document is a JSON object. */
export function expectObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadArchiveError(`${where}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}
