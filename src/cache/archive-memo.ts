/**
 * What an archive file held, remembered in the run cache, so that a warm `run` of an archive it
 * read before skips reading it: opening, indexing and reading its manifest and config, with the
 * digest checked and node's crypto loaded for it, took ~10 ms of every warm run (A/B), and set
 * off one more young-generation collection.
 * A memo holds what the open found (the images, their names, configs and layers, each checked
 * against its digest then) and the file's identity: path, device, inode, size, mtime and ctime.
 * A file written since, replaced or moved has another, and is read again: a write moves the
 * ctime, which no one sets back short of moving the clock. The clock the kernel stamps files with
 * ticks every few milliseconds, so a write in the tick of the read could keep every time as it
 * was; as git does for its index, a file written that recently is not remembered.
 * The layers of a remembered image open the archive for real, once, when first asked for: a run
 * whose layers are cached never does.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Image, ImageArchive, Layer, LayerFile } from '../image/types.js';

/** MEMO_FORMAT changes when a memo's contents do: an older memo is a miss. */
const MEMO_FORMAT = 1;

/** RECENT_MS is how long ago a file must have been written to be remembered: ten ticks of a 100 Hz kernel. */
export const RECENT_MS = 100;

/** ARCHIVES is the cache folder of the memos, one per archive file. */
export const ARCHIVES = 'archives';

/** RememberedLayer is a Layer without its ways to open the bytes; `file` says it had openFile. */
type RememberedLayer = Omit<Layer, 'open' | 'openFile'> & { file: boolean };

/** RememberedImage is an Image with remembered layers; its config bytes are not kept. */
type RememberedImage = Omit<Image, 'layers' | 'configBytes'> & { layers: RememberedLayer[] };

/** Identity tells one file, as it is now, from any other or from itself after a write. */
export interface Identity {
  path: string;
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

interface Memo {
  format: number;
  identity: Identity;
  where: string;
  archiveFormat: ImageArchive['format'];
  images: RememberedImage[];
}

/**
 * archiveIdentity is the identity of the regular file at `path`, or undefined for anything else;
 * taken before an archive is opened, it is what rememberArchive checks the file against.
 */
export function archiveIdentity(path: string): Identity | undefined {
  let info;
  try {
    info = statSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  if (!info.isFile()) return undefined;
  return {
    path: resolve(path),
    dev: String(info.dev),
    ino: String(info.ino),
    size: String(info.size),
    mtimeNs: String(info.mtimeNs),
    ctimeNs: String(info.ctimeNs),
  };
}

function memoFile(root: string, identity: Identity): string {
  return join(root, ARCHIVES, `${identity.dev}-${identity.ino}.json`);
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return (Object.keys(a) as Array<keyof Identity>).every((key) => a[key] === b[key]);
}

/**
 * recallArchive returns the archive file at `path` as remembered in the cache at `root`, or
 * undefined when there is no memo of the file as it is now. `reopen` opens it for real: the
 * remembered layers call it, once, when one of them is first opened.
 */
export function recallArchive(
  root: string,
  path: string,
  reopen: () => Promise<ImageArchive>,
): ImageArchive | undefined {
  const identity = archiveIdentity(path);
  if (identity === undefined) return undefined;
  let memo: Memo;
  try {
    memo = JSON.parse(readFileSync(memoFile(root, identity), 'utf8')) as Memo;
  } catch {
    return undefined; // none, or one cut short: read the archive
  }
  if (memo.format !== MEMO_FORMAT || !sameIdentity(memo.identity, identity)) return undefined;
  let opened: Promise<ImageArchive> | undefined;
  const real = (): Promise<ImageArchive> => (opened ??= reopen());
  return {
    where: memo.where,
    format: memo.archiveFormat,
    images: memo.images.map((image, i) => ({
      ...image,
      layers: image.layers.map((layer, j) => lazyLayer(layer, async () => realLayer(await real(), i, j))),
    })),
    close: async () => {
      if (opened !== undefined) await (await opened).close();
    },
  };
}

/** realLayer is layer `j` of image `i` of the archive opened for real, which must match its memo. */
function realLayer(archive: ImageArchive, i: number, j: number): Layer {
  const layer = archive.images[i]?.layers[j];
  // The file was checked unchanged; a different reading of it would be a bug, not a bad archive.
  if (layer === undefined) throw new Error(`${archive.where}: image ${i} layer ${j} is not where its memo says`);
  return layer;
}

/** lazyLayer is `remembered`, whose bytes come from `real()`'s layer. */
function lazyLayer(remembered: RememberedLayer, real: () => Promise<Layer>): Layer {
  const { file, ...layer } = remembered;
  const lazy: Layer = {
    ...layer,
    open(): Readable {
      const out = new PassThrough();
      // One catch for all: the reopen failing, open() throwing, or the copy breaking off.
      real()
        .then((layer) => pipeline(layer.open(), out))
        .catch((error: unknown) => out.destroy(error as Error));
      return out;
    },
  };
  if (file) lazy.openFile = async (): Promise<LayerFile> => (await real()).openFile?.() as Promise<LayerFile>;
  return lazy;
}

/**
 * rememberArchive records what `archive`, opened from the file at `path`, holds. Nothing is
 * remembered of anything but a regular file, nor of a file that changed while it was read or
 * RECENT_MS before; a memo that cannot be written only costs the next run a read of the archive.
 */
export function rememberArchive(root: string, path: string, archive: ImageArchive, before: Identity): void {
  const identity = archiveIdentity(path);
  if (identity === undefined || !sameIdentity(identity, before)) return;
  if (Date.now() - Number(BigInt(identity.ctimeNs) / 1_000_000n) < RECENT_MS) return;
  const memo: Memo = {
    format: MEMO_FORMAT,
    identity,
    where: archive.where,
    archiveFormat: archive.format,
    images: archive.images.map(({ layers, configBytes: _bytes, ...image }) => ({
      ...image,
      layers: layers.map(({ open: _open, openFile, ...layer }) => ({ ...layer, file: openFile !== undefined })),
    })),
  };
  const file = memoFile(root, identity);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(join(root, ARCHIVES), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, JSON.stringify(memo));
    renameSync(temporary, file);
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      /* a cache this process cannot write holds no temporary of it either */
    }
  }
}

/** forgetArchives removes every memo: prune's, since a memo only saves a read. */
export function forgetArchives(root: string): void {
  rmSync(join(root, ARCHIVES), { recursive: true, force: true });
}
