/**
 * The flattening entry points: a rootfs as a directory, as a tar file (plain or compressed),
 * or as a tar stream to any writable.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { outputError } from '../errors.js';
import type { Image, Layer, LayerFile } from '../image/types.js';
import { fillDirectoryAtomically, writeFileAtomically } from '../output/atomic.js';
import { type Compression, encoderFor } from '../stream/compression.js';
import { writeLentPieces } from '../stream/lent-pieces-output.js';
import { writeAddedTree } from './added-tree.js';
import { applyLayer } from './apply-layer.js';
import { DirectorySink } from './directory-sink.js';
import { HeldLayers } from './held-layers.js';
import { type FlattenOptions, rootfsTarPieces } from './rootfs-tar.js';
import { Lister } from './lister.js';
import { StreamConflict, StreamedNames } from './streamed-names.js';
import { FsTree } from './tree.js';

/** UnpackOptions adds what only a directory output needs. */
export interface UnpackOptions extends FlattenOptions {
  force?: boolean;
  ignoreErrors?: boolean;
}

/** unpackRootfs flattens an image into directory `target`, created whole or not at all. */
export async function unpackRootfs(image: Image, target: string, options: UnpackOptions = {}): Promise<void> {
  const layers = options.layers ?? image.layers;
  options.signal?.throwIfAborted();
  await fillDirectoryAtomically(target, options.force ?? false, async (directory) => {
    // Files get no node (lister.ts, streamed-names.ts) unless undocker adds a tree of its own, which must see every
    // name. A plain layer in a file lists them, to read again if a later entry touches one; the top layer of another
    // kind only fingerprints them, and a touch has the directory filled again, every name kept.
    const stream = options.added === undefined && !options.keepWhiteouts;
    try {
      await fillDirectory(directory, target, layers, options, stream);
    } catch (error) {
      if (!(error instanceof StreamConflict)) throw error;
      const names = await readdir(directory);
      await Promise.all(names.map((name) => rm(join(directory, name), { recursive: true, force: true })));
      await fillDirectory(directory, target, layers, options, false);
    }
  });
}

/** fillDirectory applies every layer to the empty `directory`; with `stream`, files get no node where they can. */
async function fillDirectory(
  directory: string,
  target: string,
  layers: Layer[],
  options: UnpackOptions,
  stream: boolean,
): Promise<void> {
  const tree = new FsTree();
  let where = '';
  const sinkOptions = {
    ignoreErrors: options.ignoreErrors ?? false,
    warn: options.warn ?? (() => undefined),
    output: target,
  };
  const sink = new DirectorySink(tree, directory, sinkOptions, () => where);
  // Plain layers are hashed ahead on a thread that ends when they are (held-layers.ts), not as
  // they are read: that hashing thread would have lived as long as the writing did.
  let held: HeldLayers | undefined;
  try {
    const opened = (held = await HeldLayers.open(layers));
    const fileOf = (index: number): LayerFile | undefined => opened.plainFileOf(layers[index] as Layer);
    const lister = stream ? new Lister(tree, layers, fileOf, false) : undefined;
    options.progress?.start(layers.length, 0);
    for (const [index, layer] of layers.entries()) {
      where = layer.where;
      const context = { tree, sink, layer: index, where: layer.where, keepWhiteouts: options.keepWhiteouts ?? false };
      const plain = held.plainFileOf(layer) !== undefined;
      const top = index === layers.length - 1;
      // The top layer only fingerprints its files where no lower layer's are listed: a touch then fills the directory
      // again, which costs less than a list of a million files (8 MB).
      lister?.begin(index, plain && (!top || lister.holdsListed));
      const fingerprinted = stream && !lister?.active && top;
      if (fingerprinted) tree.streamed = new StreamedNames();
      await applyLayer(context, held.throughHeld(layer), { ...options, unverified: plain, lister });
      if (fingerprinted) tree.streamed = undefined;
      if (plain) await held.verify(layer);
    }
    lister?.end();
    await sink.finish();
    if (options.added !== undefined) await writeAddedTree(directory, options.added, sinkOptions.warn);
    // Interrupted while the writer drained its queue: the finished tree is not committed either.
    options.signal?.throwIfAborted();
  } catch (error) {
    await sink.stop(); // the writer must be gone before its directory is removed
    throw error;
  } finally {
    await held?.close();
  }
}

/** cutShort tells an error that only says a stream was ended by the other side's failure. */
function cutShort(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * streamRootfsTar writes the flattened rootfs as a tar stream, compressed as asked; `where` names the output in errors.
 */
export async function streamRootfsTar(
  image: Image,
  output: Writable,
  compression: Compression,
  options: FlattenOptions = {},
  where = 'standard output',
): Promise<void> {
  const pieces = rootfsTarPieces(image, options);
  const encoder = encoderFor(compression, where);
  const signal = options.signal;
  try {
    if (encoder === undefined) await writeLentPieces(pieces, output, signal);
    else {
      // The encoders are done with a buffer when they call back: zlib has read it, a filter's pipe has it.
      const written = writeLentPieces(pieces, encoder, signal, true); // destroys the encoder if it fails
      const results = await Promise.allSettled([written, pipeline(encoder, output, { signal })]);
      const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
      // Each side's failure ends the other: the cause is the one that is not about a stream cut short.
      if (failures.length > 0) throw failures.find((failure) => !cutShort(failure)) ?? failures[0];
    }
  } catch (error) {
    throw outputError(where, error);
  }
}

/** writeRootfsTar writes the flattened rootfs to a tar file, renamed into place when complete. */
export async function writeRootfsTar(
  image: Image,
  target: string,
  compression: Compression,
  options: FlattenOptions = {},
): Promise<void> {
  await writeFileAtomically(target, (stream) => streamRootfsTar(image, stream, compression, options, target));
}
