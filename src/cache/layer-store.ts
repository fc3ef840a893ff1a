/**
 * The layer store: each layer unpacked once, as an overlayfs diff of the layers below it, in
 * `layers/<chain id>/diff`, as Docker's overlay2 keeps them. A chain id digests the diff_ids up
 * to a layer (OCI image-spec config.md), so equal ids mean equal trees, and images that share a
 * base keep it once; a run stacks an image's diffs as the lower layers of its overlay.
 * A diff is made in a `.unpack-` folder and renamed into place complete: an interrupted unpack
 * leaves only that folder (prune removes it once its process is gone), and two runs unpacking
 * one layer both use whichever finished first. A layer is removed as set-aside.ts says, so a run
 * that records an image naming it while it goes keeps it.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { OVERLAY_XATTR_PREFIX } from '../flatten/overlay-limit.js';
import type { FlattenProgress } from '../flatten/rootfs-tar.js';
import { holdOverlay } from '../host/mount-holder.js';
import { hexOf, shortId } from '../image/digest.js';
import type { Image, Layer } from '../image/types.js';
import { directoryBytes } from './directory-bytes.js';
import { asideOf, ownerOf, putBack, setAside } from './set-aside.js';

/** LayerRecord is what the store keeps of a layer besides its diff. */
export interface LayerRecord {
  chainId: string;
  /** key is the layer's diff_id, or its blob digest where the image has no diff_ids */
  key: string;
  bytes: number;
  created: string;
}

/** UNPACK_PREFIX starts the folder of a diff being made; the maker's pid follows. */
const UNPACK_PREFIX = '.unpack-';

/**
 * MAX_LOWERDIR bounds the lowerdir option: a mount's options fit in one 4 KiB page, which the upper and work folders
 * of a container share. 57 layers fit, as ids of 64 hex digits; Docker refuses images of more than 125.
 */
const MAX_LOWERDIR = 3600;

/** layersDir is the folder holding every diff; mounts name the diffs relative to it. */
export function layersDir(root: string): string {
  return join(root, 'layers');
}

/** layerDir is the folder of one layer: `diff` and `layer.json`. */
export function layerDir(root: string, chainId: string): string {
  return join(layersDir(root), hexOf(chainId));
}

/** lowerdirOf is the overlay's lowerdir option for layers `chainIds` (bottom first), relative to layersDir. */
export function lowerdirOf(chainIds: readonly string[]): string {
  return chainIds
    .map((id) => `${hexOf(id)}/diff`)
    .reverse()
    .join(':');
}

/**
 * stackableChain is each layer's chain id, bottom first, or why the image cannot be stacked: a layer with no digest to
 * name it by, or more layers than one mount takes.
 */
export function stackableChain(image: Image): { chainIds: string[] } | { reason: string } {
  const chainIds: string[] = [];
  for (const layer of image.layers) {
    const key = layer.diffId ?? layer.digest;
    if (key === undefined || layer.pathPrefix !== undefined)
      return { reason: `${layer.where} has no diff_id or digest to share it by` };
    const parent = chainIds[chainIds.length - 1];
    chainIds.push(
      parent === undefined ? key : `sha256:${createHash('sha256').update(`${parent} ${key}`).digest('hex')}`,
    );
  }
  if (chainIds.length === 0) return { reason: 'the image has no layers' };
  if (lowerdirOf(chainIds).length > MAX_LOWERDIR)
    return { reason: `${chainIds.length} layers are more than one overlay mount stacks` };
  return { chainIds };
}

/** readLayerRecord reads a complete layer's record, undefined when the store lacks it. */
export function readLayerRecord(root: string, chainId: string): LayerRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(layerDir(root, chainId), 'layer.json'), 'utf8')) as LayerRecord;
  } catch {
    return undefined;
  }
}

/**
 * copyRootAttributes gives a new diff's root the owner, mode, times and extended attributes of
 * the tree below: the stack shows the top diff's root, and a layer without a root entry changes
 * none of them. Overlayfs's own attributes stay where the kernel put them.
 */
function copyRootAttributes(from: string, to: string): void {
  const info = lstatSync(from);
  chownSync(to, info.uid, info.gid);
  chmodSync(to, info.mode & 0o7777);
  // Named as `.` from inside each folder, so no path needs getfattr's quoting.
  const dump = execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', '.'], { cwd: from, encoding: 'utf8' })
    .split('\n')
    .filter((line) => !line.startsWith(OVERLAY_XATTR_PREFIX));
  if (dump.some((line) => line.includes('=0x')))
    execFileSync('setfattr', ['--restore=-'], { cwd: to, input: dump.join('\n') });
  utimesSync(to, info.atime, info.mtime);
}

/** LayerOptions carry the abort signal, warnings and a progress display. */
export interface LayerOptions {
  signal?: AbortSignal | undefined;
  warn?: ((message: string) => void) | undefined;
  progress?: FlattenProgress | undefined;
}

/** unpackLayer makes the diff of `layer`, whose chain id is the last of `chain`, over the diffs of the rest. */
async function unpackLayer(root: string, layer: Layer, chain: readonly string[], options: LayerOptions): Promise<void> {
  const chainId = chain[chain.length - 1] as string;
  const below = chain.slice(0, -1);
  const final = layerDir(root, chainId);
  const name = `${UNPACK_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`;
  const temporary = join(layersDir(root), name);
  const diff = join(temporary, 'diff');
  const output = `the layer store (${layer.where})`;
  // Loaded only here: a warm run never needs the flattening engine.
  const { unpackLayerDiff } = await import('../flatten/layer-diff.js');
  mkdirSync(diff, { recursive: true, mode: 0o700 });
  try {
    if (below.length === 0) await unpackLayerDiff(layer, diff, false, { ...options, output });
    else {
      for (const folder of ['work', 'merged']) mkdirSync(join(temporary, folder), { mode: 0o700 });
      copyRootAttributes(join(layerDir(root, below[below.length - 1] as string), 'diff'), diff);
      const mount = `lowerdir=${lowerdirOf(below)},upperdir=${name}/diff,workdir=${name}/work`;
      const held = await holdOverlay(layersDir(root), mount, join(temporary, 'merged'), layer.where);
      try {
        await unpackLayerDiff(layer, held.path, true, { ...options, output });
      } finally {
        await held.release();
      }
      rmSync(join(temporary, 'work'), { recursive: true, force: true });
      rmSync(join(temporary, 'merged'), { recursive: true, force: true });
    }
    const record: LayerRecord = {
      chainId,
      key: layer.diffId ?? layer.digest ?? chainId,
      bytes: directoryBytes(diff),
      created: new Date().toISOString(),
    };
    writeFileSync(join(temporary, 'layer.json'), `${JSON.stringify(record, null, 2)}\n`);
    renameSync(temporary, final);
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    // Another run finished the same layer first: use its diff.
    if (isErrno(error, 'ENOTEMPTY', 'EEXIST') && readLayerRecord(root, chainId) !== undefined) return;
    throw error;
  }
}

/** unpackLayers makes the diffs of `image` the store lacks, bottom first; it returns how many it made. */
export async function unpackLayers(
  root: string,
  image: Image,
  chainIds: readonly string[],
  options: LayerOptions = {},
): Promise<number> {
  mkdirSync(layersDir(root), { recursive: true, mode: 0o700 });
  const missing = chainIds.flatMap((id, index) => (readLayerRecord(root, id) === undefined ? [index] : []));
  options.progress?.start(missing.length, 0);
  for (const index of missing) {
    options.signal?.throwIfAborted();
    await unpackLayer(root, image.layers[index] as Layer, chainIds.slice(0, index + 1), options);
  }
  return missing.length;
}

/** listLayers returns the record of every complete layer. */
export function listLayers(root: string): LayerRecord[] {
  let names: string[];
  try {
    names = readdirSync(layersDir(root));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  return names.flatMap((name) => {
    if (name.startsWith('.')) return [];
    const record = readLayerRecord(root, name);
    return record === undefined ? [] : [record];
  });
}

/** leftoverOf says what `name` was if it is what a dead process left: an unfinished unpack, or a layer set aside. */
function leftoverOf(name: string): string | undefined {
  const aside = asideOf(name);
  if (aside !== undefined) return aside.living ? undefined : `layer ${shortId(aside.name)}`;
  const unpacker = ownerOf(name, UNPACK_PREFIX);
  return unpacker === undefined || unpacker.living ? undefined : `unfinished layer ${name.slice(UNPACK_PREFIX.length)}`;
}

/**
 * removeLayers deletes every layer `used()` does not name, and what interrupted unpacks and
 * removals left; it returns what went. Each layer is set aside before `used()` is asked again (see
 * set-aside.ts): a run records its image before it looks for the image's layers.
 */
export function removeLayers(root: string, used: () => ReadonlySet<string>): string[] {
  const dir = layersDir(root);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const leftover = leftoverOf(name);
    if (leftover === undefined) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(leftover);
  }
  const before = new Set([...used()].map(hexOf));
  const asides = names.flatMap((name) => {
    if (name.startsWith('.') || before.has(name)) return [];
    const aside = setAside(dir, name);
    return aside === undefined ? [] : [{ name, aside }];
  });
  if (asides.length === 0) return removed;
  const now = new Set([...used()].map(hexOf));
  for (const { name, aside } of asides) {
    if (now.has(name)) putBack(dir, aside, name);
    else {
      rmSync(join(dir, aside), { recursive: true, force: true });
      removed.push(`layer ${shortId(name)}`);
    }
  }
  return removed;
}
