/**
 * Layers held open for both passes of the tar output: each layer that is a range of a file is
 * opened once, and both passes read it through that one open file; the plain ones are hashed ahead.
 * The tar output reads a plain layer in a file twice: its headers to plan, then its data to copy.
 * Hashing the data as the second pass copied it made that pass wait for the hashing thread (0.5 s
 * of a 1 GiB flatten here), while the thread idled through the first. Now, where the layers are
 * large enough to be worth a thread, one of its own hashes each from the start (range-hash.ts);
 * smaller ones are hashed when they are checked. Either way the check comes when the data pass
 * reaches the layer's end, where it came before, so no byte is written past a bad layer's end.
 *
 * The bytes hashed and the bytes copied are then two reads of one open file, so that file must
 * not change between them: its status is taken when it is opened and compared at the check, and
 * a file changed in place is refused, as GNU tar reports a file that changed as it read it. Both
 * passes read through that one open file, so a file renamed over the archive is never read.
 */
import type { BigIntStats } from 'node:fs';
import { BadArchiveError, DigestMismatchError } from '../errors.js';
import type { Layer, LayerFile } from '../image/types.js';
import { type HashAlgorithm, OFFLOAD_BYTES } from '../stream/hash-thread.js';
import { digestOfRange, hashFileRange, type RangeHash } from '../stream/range-hash.js';
import { fileReads } from './file-reads.js';
import { openLayerFile } from './layer-entries.js';

/** HeldLayer is one layer held open: its file, and for a plain one the file's status then and its hashes. */
interface HeldLayer {
  file: LayerFile;
  plain: boolean;
  status: BigIntStats | undefined;
  /** hashes run on the thread; undefined when they are taken at the check. */
  hashes: Map<HashAlgorithm, RangeHash> | undefined;
}

function algorithmOf(digest: string): HashAlgorithm {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

function algorithmsOf(layer: Layer): HashAlgorithm[] {
  return [...new Set([layer.digest, layer.diffId].flatMap((digest) => (digest ? [algorithmOf(digest)] : [])))];
}

function sameFile(before: BigIntStats, after: BigIntStats): boolean {
  return (
    before.ino === after.ino &&
    before.size === after.size &&
    before.mtimeNs === after.mtimeNs &&
    before.ctimeNs === after.ctimeNs
  );
}

/** hashHere hashes a held file on this thread: a small layer's, cheaper than a thread's start. */
function hashHere({ handle, start, size }: LayerFile, algorithm: HashAlgorithm): string {
  return digestOfRange(handle.fd, start, size, algorithm)!; // never stopped
}

/** HeldLayers holds the layers of one flatten open; `close` stops their hashes and closes them. */
export class HeldLayers {
  private readonly held = new Map<Layer, HeldLayer>();

  /**
   * open opens every layer that is a range of a file, and hashes the plain ones on a thread when
   * together they reach `threadBytes`.
   */
  static async open(layers: Layer[], threadBytes = OFFLOAD_BYTES): Promise<HeldLayers> {
    const held = new HeldLayers();
    try {
      for (const layer of layers) await held.hold(layer);
      const plain = [...held.held].filter(([, { plain }]) => plain);
      if (plain.reduce((sum, [, { file }]) => sum + file.size, 0) >= threadBytes)
        for (const [layer, one] of plain) {
          const { handle, start, size } = one.file;
          one.hashes = new Map(
            algorithmsOf(layer).map((algorithm) => [algorithm, hashFileRange(handle.fd, start, size, algorithm)]),
          );
        }
    } catch (error) {
      await held.close();
      throw error;
    }
    return held;
  }

  private async hold(layer: Layer): Promise<void> {
    const opened = await openLayerFile(layer);
    if (opened === undefined) return;
    const { file, compression } = opened;
    const plain = compression === 'none';
    try {
      const status = plain ? await file.handle.stat({ bigint: true }) : undefined;
      this.held.set(layer, { file, plain, status, hashes: undefined });
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** throughHeld is `layer` read through the file held open, if it is one: as the first pass reads it. */
  throughHeld(layer: Layer): Layer {
    const held = this.held.get(layer);
    if (held === undefined) return layer;
    return { ...layer, ...fileReads(held.file) };
  }

  /** plainFileOf is the file the data pass reads `layer` from, if it is held and plain; `verify` checks it after. */
  plainFileOf(layer: Layer): LayerFile | undefined {
    const held = this.held.get(layer);
    return held?.plain ? held.file : undefined;
  }

  /** verify throws if `layer`, held, changed since it was opened or does not match its digests. */
  async verify(layer: Layer): Promise<void> {
    const held = this.held.get(layer);
    if (held?.status === undefined) return;
    const status = await held.file.handle.stat({ bigint: true });
    if (!sameFile(held.status, status)) throw new BadArchiveError(`${layer.where}: the file changed while it was read`);
    const checks: Array<[string, string | undefined]> = [
      ['stored', layer.digest],
      ['uncompressed', layer.diffId],
    ];
    const taken = new Map<HashAlgorithm, string>();
    for (const [what, expected] of checks) {
      if (expected === undefined) continue;
      const algorithm = algorithmOf(expected);
      let hex = taken.get(algorithm);
      try {
        hex ??= held.hashes === undefined ? hashHere(held.file, algorithm) : await held.hashes.get(algorithm)!.digest;
      } catch (error) {
        throw new BadArchiveError(`${layer.where}: cannot read the layer: ${(error as Error).message}`, error);
      }
      taken.set(algorithm, hex);
      const actual = `${algorithm}:${hex}`;
      if (actual !== expected) throw new DigestMismatchError(`${layer.where}: ${what} content`, expected, actual);
    }
  }

  async close(): Promise<void> {
    const held = [...this.held.values()];
    this.held.clear();
    // The thread reads by descriptor: each file is closed only once nothing reads it.
    await Promise.all(
      held.map(async ({ file, hashes }) => {
        await Promise.all([...(hashes?.values() ?? [])].map((hash) => hash.cancel()));
        await file.close().catch(() => undefined);
      }),
    );
  }
}
