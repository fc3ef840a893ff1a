/**
 * The image cache: each image flattened once into `images/<config digest>/rootfs`, which runs
 * only ever read (they write to an overlay). The tree appears by rename when complete, so an
 * interrupted flatten leaves only a temporary folder (removed by prune), and two runs that
 * flatten at once both end up using whichever finished first.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { UndockerError, isErrno } from '../errors.js';
import { describeImage } from '../image/select.js';
import type { Image } from '../image/types.js';
import { directoryBytes } from './directory-bytes.js';
import { imageUsers, removeUnfinished } from './container-dirs.js';
import type { FlattenProgress } from '../flatten/rootfs-tar.js';

/** CachedImage is what the cache records of an image. */
export interface CachedImage {
  id: string;
  names: string[];
  bytes: number;
  created: string;
  lastUsed: string;
}

const hexOf = (id: string): string => id.replace(/^sha256:/, '');

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

/** cachedRootfs returns the image's flattened rootfs, flattening it first if the cache lacks it. */
export async function cachedRootfs(
  root: string,
  image: Image,
  options: { signal?: AbortSignal; warn?: (message: string) => void; progress?: FlattenProgress } = {},
): Promise<{ rootfs: string; fresh: boolean }> {
  const dir = imageDir(root, image.id);
  const rootfs = join(dir, 'rootfs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let fresh = false;
  if (!existsSync(rootfs)) {
    try {
      // Loaded only here: a warm run never needs the flattening engine.
      const { unpackRootfs } = await import('../flatten/rootfs.js');
      await unpackRootfs(image, rootfs, {
        signal: options.signal,
        warn: options.warn ?? (() => undefined),
        ...(options.progress ? { progress: options.progress } : {}),
      });
      fresh = true;
    } catch (error) {
      // Another run finished the same image first: use its tree.
      // The rename into place fails with ENOTEMPTY or EEXIST, which the output layer wraps with the target's name.
      const raced =
        isErrno(error, 'ENOTEMPTY', 'EEXIST') || isErrno((error as { cause?: unknown }).cause, 'ENOTEMPTY', 'EEXIST');
      if (
        !(raced || (error instanceof UndockerError && error.code === 'UNDOCKER_OUTPUT_EXISTS')) ||
        !existsSync(rootfs)
      )
        throw error;
    }
  }
  const now = new Date().toISOString();
  const old = readRecord(dir);
  const names = [...new Set([...(old?.names ?? []), describeImage(image)])];
  writeRecord(dir, {
    id: image.id,
    names,
    bytes: old?.bytes ?? directoryBytes(rootfs),
    created: old?.created ?? now,
    lastUsed: now,
  });
  return { rootfs, fresh };
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
    .map((hex) => readRecord(join(root, 'images', hex)))
    .filter(
      (record): record is CachedImage => record !== undefined && existsSync(join(imageDir(root, record.id), 'rootfs')),
    )
    .sort((a, b) => b.lastUsed.localeCompare(a.lastUsed));
}

/** findCachedImage picks a cached image by name (tag `latest` when none is given) or digest prefix. */
export function findCachedImage(root: string, selector: string): CachedImage {
  const all = listCachedImages(root);
  const hex = selector.replace(/^sha256:/, '');
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

/** removeCachedImage deletes one image's rootfs, unless a container still uses it. */
export function removeCachedImage(root: string, record: CachedImage): void {
  const users = imageUsers(root, record.id);
  if (users.length > 0) {
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `${record.names[0] ?? record.id} is in use by ${
        users.length === 1 ? `container ${users[0]}` : `${users.length} containers (${listed(users)})`
      }: remove ${users.length > 1 ? 'them' : 'it'} first (undocker rm)`,
    );
  }
  rmSync(imageDir(root, record.id), { recursive: true, force: true });
}

/**
 * pruneCache removes every image no container uses and every leftover of an interrupted or killed run; it returns what
 * went.
 */
export function pruneCache(root: string): string[] {
  const removed = removeUnfinished(root).map((name) => `unfinished container ${name}`);
  for (const record of listCachedImages(root)) {
    if (imageUsers(root, record.id).length > 0) continue;
    rmSync(imageDir(root, record.id), { recursive: true, force: true });
    removed.push(record.names[0] ?? record.id);
  }
  // Folders without a complete rootfs are what an interrupted first run left.
  let hexes: string[] = [];
  try {
    hexes = readdirSync(join(root, 'images'));
  } catch {
    /* no cache yet */
  }
  for (const hex of hexes) {
    const dir = join(root, 'images', hex);
    if (!existsSync(join(dir, 'rootfs')) && imageUsers(root, `sha256:${hex}`).length === 0) {
      rmSync(dir, { recursive: true, force: true });
      removed.push(`leftover ${hex.slice(0, 12)}`);
    }
  }
  return removed;
}
