/**
 * The image cache: each image a run uses, recorded in `images/<config digest>/image.json`. Its
 * layers are in the layer store (layer-store.ts), unpacked once each and shared between images;
 * an image overlayfs cannot stack (layer-tree.ts says when) is flattened once into
 * `images/<config digest>/rootfs` instead. Runs only ever read either: they write to an overlay.
 * Trees appear by rename when complete, so an interrupted run leaves only temporary folders
 * (removed by prune), and two runs that unpack at once both use whichever finished first.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UndockerError, isErrno } from '../errors.js';
import { OverlayLimitError } from '../flatten/overlay-limit.js';
import type { FlattenProgress } from '../flatten/rootfs-tar.js';
import { keepYoungGenerationSmall } from '../host/young-generation.js';
import { hexOf } from '../image/digest.js';
import { describeImage } from '../image/select.js';
import type { Image } from '../image/types.js';
import { forgetArchives } from './archive-memo.js';
import { directoryBytes } from './directory-bytes.js';
import { containersBeingMade, imageUsers, removeUnfinished } from './container-dirs.js';
import { layersDir, lowerdirOf, readLayerRecord, removeLayers, stackableChain, unpackLayers } from './layer-store.js';
import { asideOf, removeUnlessClaimed } from './set-aside.js';

/** CachedImage is what the cache records of an image. */
export interface CachedImage {
  id: string;
  names: string[];
  /** bytes are the image's whole size: every layer's diff, or its flattened tree */
  bytes: number;
  created: string;
  lastUsed: string;
  /** layers are the chain ids of its diffs in the layer store, bottom first */
  layers?: string[];
  /** flattened says why the image is one flattened tree instead (absent in a cache older than the layer store) */
  flattened?: string;
}

/** ImageStack is what a run mounts as its overlay's lower layers: `lowerdir`, relative to `base`. */
export interface ImageStack {
  base: string;
  lowerdir: string;
}

/** imageDir is the cache folder of one image. */
export function imageDir(root: string, id: string): string {
  return join(root, 'images', hexOf(id));
}

function readRecord(dir: string): CachedImage | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8')) as CachedImage;
  } catch {
    return undefined;
  }
}

function writeRecord(dir: string, record: CachedImage): void {
  const temporary = join(dir, `.image.json.${process.pid}`);
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, join(dir, 'image.json'));
}

/** isComplete tells whether a recorded image's trees are all there. */
function isComplete(root: string, record: CachedImage): boolean {
  if (record.layers === undefined) return existsSync(join(imageDir(root, record.id), 'rootfs'));
  return record.layers.every((chainId) => readLayerRecord(root, chainId) !== undefined);
}

/** stackOf is the lower layers a run of a complete cached image mounts. */
export function stackOf(root: string, record: CachedImage): ImageStack {
  if (record.layers === undefined) return { base: imageDir(root, record.id), lowerdir: 'rootfs' };
  return { base: layersDir(root), lowerdir: lowerdirOf(record.layers) };
}

/** CacheOptions carry the abort signal, warnings and a progress display. */
export interface CacheOptions {
  signal?: AbortSignal;
  warn?: (message: string) => void;
  progress?: FlattenProgress;
}

/** flattenImage flattens the image into its folder's `rootfs`; false when another run already had. */
async function flattenImage(root: string, image: Image, options: CacheOptions): Promise<boolean> {
  const rootfs = join(imageDir(root, image.id), 'rootfs');
  if (existsSync(rootfs)) return false;
  try {
    // Loaded only here: a warm run never needs the flattening engine.
    const { unpackRootfs } = await import('../flatten/rootfs.js');
    await unpackRootfs(image, rootfs, {
      signal: options.signal,
      warn: options.warn ?? (() => undefined),
      ...(options.progress ? { progress: options.progress } : {}),
    });
    return true;
  } catch (error) {
    // Another run finished the same image first: use its tree.
    // The rename into place fails with ENOTEMPTY or EEXIST, which the output layer wraps with the target's name.
    const raced =
      isErrno(error, 'ENOTEMPTY', 'EEXIST') || isErrno((error as { cause?: unknown }).cause, 'ENOTEMPTY', 'EEXIST');
    if (!(raced || (error instanceof UndockerError && error.code === 'UNDOCKER_OUTPUT_EXISTS')) || !existsSync(rootfs))
      throw error;
    return false;
  }
}

/**
 * cacheImage readies the image for runs, unpacking the layers the store lacks (or flattening it, where its layers
 * cannot be stacked), and returns its record; `fresh` when anything was unpacked.
 */
export async function cacheImage(
  root: string,
  image: Image,
  options: CacheOptions = {},
): Promise<{ record: CachedImage; fresh: boolean }> {
  const dir = imageDir(root, image.id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = new Date().toISOString();
  const old = readRecord(dir);
  const names = [...new Set([...(old?.names ?? []), describeImage(image)])];
  let record: CachedImage = {
    ...old,
    id: image.id,
    names,
    bytes: old?.bytes ?? 0,
    created: old?.created ?? now,
    lastUsed: now,
  };
  let fresh = false;
  if (old === undefined || !isComplete(root, old)) {
    keepYoungGenerationSmall(); // only here: a warm run loads node's modules from their code cache
    const chain = stackableChain(image);
    let flattened = 'reason' in chain ? chain.reason : undefined;
    if ('chainIds' in chain) {
      // Recorded first: prune keeps the layers an image being unpacked names.
      writeRecord(dir, { ...record, layers: chain.chainIds });
      try {
        fresh = (await unpackLayers(root, image, chain.chainIds, options)) > 0;
        const bytes = chain.chainIds.reduce((sum, id) => sum + (readLayerRecord(root, id)?.bytes ?? 0), 0);
        record = { ...record, layers: chain.chainIds, bytes, flattened: undefined };
      } catch (error) {
        if (!(error instanceof OverlayLimitError)) throw error;
        flattened = error.message;
      }
    }
    if (flattened !== undefined) {
      fresh = await flattenImage(root, image, options);
      record = { ...record, layers: undefined, flattened, bytes: directoryBytes(join(dir, 'rootfs')) };
    }
  }
  writeRecord(dir, record);
  return { record, fresh };
}

/** listCachedImages returns every complete image in the cache, most recently used first. */
export function listCachedImages(root: string): CachedImage[] {
  let hexes: string[];
  try {
    hexes = readdirSync(join(root, 'images'));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  return hexes
    .filter((hex) => !hex.startsWith('.'))
    .map((hex) => readRecord(join(root, 'images', hex)))
    .filter((record): record is CachedImage => record !== undefined && isComplete(root, record))
    .sort((a, b) => b.lastUsed.localeCompare(a.lastUsed));
}

/** cachedImageOf is the record of image `id` when the cache holds it whole. */
export function cachedImageOf(root: string, id: string): CachedImage | undefined {
  const record = readRecord(imageDir(root, id));
  return record !== undefined && isComplete(root, record) ? record : undefined;
}

/** findCachedImage picks a cached image by name (tag `latest` when none is given) or digest prefix. */
export function findCachedImage(root: string, selector: string): CachedImage {
  const all = listCachedImages(root);
  const hex = hexOf(selector);
  const withTag = selector.includes(':') && !selector.startsWith('sha256:') ? selector : `${selector}:latest`;
  const matches = all.filter(
    (r) =>
      r.names.includes(selector) ||
      r.names.includes(withTag) ||
      (/^[0-9a-f]{4,}$/.test(hex) && hexOf(r.id).startsWith(hex)),
  );
  if (matches.length === 1) return matches[0] as CachedImage;
  if (matches.length === 0)
    throw new UndockerError('UNDOCKER_NOT_FOUND', `no cached image ${selector}: undocker images lists them`);
  throw new UndockerError(
    'UNDOCKER_AMBIGUOUS',
    `${selector} names ${matches.length} cached images: give more of the digest`,
  );
}

/** listed names the first few of `names`, and how many more there are. */
function listed(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** imageFolders lists the folders in `images/`: images by hex, and folders set aside. */
function imageFolders(root: string): string[] {
  try {
    return readdirSync(join(root, 'images'));
  } catch {
    return []; // no cache yet
  }
}

/** recordedImages reads the record of every image folder, complete or not, by folder name. */
function recordedImages(root: string): Map<string, CachedImage | undefined> {
  const hexes = imageFolders(root).filter((hex) => !hex.startsWith('.'));
  return new Map(hexes.map((hex) => [hex, readRecord(join(root, 'images', hex))]));
}

/** namedLayers lists the layers recorded images name, and images a living remover set aside (they may go back). */
function namedLayers(root: string): Set<string> {
  const records = imageFolders(root)
    .filter((name) => !name.startsWith('.') || asideOf(name)?.living === true)
    .map((name) => readRecord(join(root, 'images', name)));
  return new Set(records.flatMap((record) => record?.layers ?? []));
}

/**
 * removeUnusedLayers deletes the layers no recorded image names, and what interrupted unpacks left; none while a
 * container is being made, whose image may not be recorded yet and may stack any of them.
 */
function removeUnusedLayers(root: string): string[] {
  if (containersBeingMade(root).length > 0) return [];
  return removeLayers(root, () => namedLayers(root));
}

/**
 * removeImageFolder deletes image folder `hex` unless a container uses or is being made of the image;
 * it returns those containers. A folder that seems unused is set aside and they are counted again
 * (see set-aside.ts): a run begins its container before it reads the image's record.
 */
function removeImageFolder(root: string, hex: string): string[] {
  const users = imageUsers(root, `sha256:${hex}`);
  if (users.length > 0) return users; // left in place: a restart reads it at any time
  return removeUnlessClaimed(join(root, 'images'), hex, () => imageUsers(root, `sha256:${hex}`));
}

/** removeCachedImage deletes one image, and the layers no other image uses, unless a container still uses it. */
export function removeCachedImage(root: string, record: CachedImage): void {
  const users = removeImageFolder(root, hexOf(record.id));
  if (users.length > 0) {
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `${record.names[0] ?? record.id} is in use by ${
        users.length === 1 ? `container ${users[0]}` : `${users.length} containers (${listed(users)})`
      }: remove ${users.length > 1 ? 'them' : 'it'} first (undocker rm)`,
    );
  }
  removeUnusedLayers(root);
}

/**
 * pruneCache removes every image no container uses and every leftover of an interrupted or killed run; it returns what
 * went.
 */
export function pruneCache(root: string): string[] {
  const removed = removeUnfinished(root).map((name) => `unfinished container ${name}`);
  for (const record of listCachedImages(root))
    if (removeImageFolder(root, hexOf(record.id)).length === 0) removed.push(record.names[0] ?? record.id);
  // Folders without a complete image are what an interrupted first run left; folders set aside, a removal's.
  for (const [hex, record] of recordedImages(root))
    if ((record === undefined || !isComplete(root, record)) && removeImageFolder(root, hex).length === 0)
      removed.push(`leftover ${hex.slice(0, 12)}`);
  for (const name of imageFolders(root)) {
    const aside = asideOf(name);
    if (aside === undefined || aside.living) continue;
    rmSync(join(root, 'images', name), { recursive: true, force: true });
    removed.push(`leftover ${aside.name.slice(0, 12)}`);
  }
  // What archives held is remembered only to save reading them again: kept no longer than their images.
  forgetArchives(root);
  return [...removed, ...removeUnusedLayers(root)];
}
