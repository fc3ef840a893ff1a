/**
 * A base image's layer, copied into a new image as an uncompressed tar. The tar's bytes are kept
 * exactly, so the layer keeps its diff_id (and a registry its blob); the stored and uncompressed
 * bytes are checked against their digests on the way. An ACI's `rootfs/` layer is re-encoded
 * without its prefix instead.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { DigestMismatchError } from '../errors.js';
import { layerEntries } from '../flatten/layer-entries.js';
import { hasherFor } from '../image/digest.js';
import type { Layer } from '../image/types.js';
import { decoderFor, detectCompression, MAGIC_BYTES } from '../stream/compression.js';
import { peekStream } from '../stream/peek.js';
import { writeLayerFile } from '../write/layer.js';

function hashing(hash: { update(chunk: Buffer): unknown }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

function check(where: string, what: string, expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual)
    throw new DigestMismatchError(`${where}: ${what} content`, expected, actual);
}

/** copyLayerTar writes `layer`'s uncompressed tar to `path` and returns its diff_id. */
export async function copyLayerTar(layer: Layer, path: string, signal?: AbortSignal): Promise<string> {
  if (layer.pathPrefix !== undefined) {
    const items = (async function* () {
      for await (const { entry, body } of layerEntries(layer, signal)) yield { entry, data: body };
    })();
    return (await writeLayerFile(items, path, {}, layer.where)).diffId;
  }
  const { head, stream } = await peekStream(layer.open(), MAGIC_BYTES);
  const stored = hasherFor(layer.digest ?? 'sha256:');
  const diff = createHash('sha256');
  const decoder = decoderFor(detectCompression(head), layer.where);
  const steps: NodeJS.ReadWriteStream[] = [hashing(stored), ...(decoder ? [decoder] : []), hashing(diff)];
  await pipeline([stream, ...steps, createWriteStream(path, { flags: 'wx', mode: 0o600 })], signal ? { signal } : {});
  const algorithm = layer.digest?.slice(0, layer.digest.indexOf(':')) ?? 'sha256';
  check(layer.where, 'stored', layer.digest, `${algorithm}:${stored.digest('hex')}`);
  const diffId = `sha256:${diff.digest('hex')}`;
  check(layer.where, 'uncompressed', layer.diffId, diffId);
  return diffId;
}
