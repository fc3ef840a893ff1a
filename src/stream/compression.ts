/**
 * Compression detected from magic bytes, never from names or media types, with a decoder and
 * an encoder for each format. gzip stays in-process (zlib); xz, zstd and bzip2 run as filters.
 */
import { createGunzip, createGzip } from 'node:zlib';
import type { Duplex } from 'node:stream';
import { BadArchiveError, UndockerError } from '../errors.js';
import { filterThrough } from '../host/tools.js';

/** Compression names the formats undocker reads. */
export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

const MAGIC: Array<[Compression, number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
];

/** MAGIC_BYTES is how many leading bytes detectCompression needs. */
export const MAGIC_BYTES = 6;

/** detectCompression names the compression of data that starts with `head`. */
export function detectCompression(head: Buffer): Compression {
  for (const [name, magic] of MAGIC) {
    if (magic.every((byte, i) => head[i] === byte)) return name;
  }
  return 'none';
}

/**
 * namingErrors makes a stream's own failures (zlib's, which carry no name of the input) the
 * error `rename` makes; errors that are UndockerErrors already (an abort, a digest) pass as they are.
 */
function namingErrors<T extends Duplex>(stream: T, rename: (said: string) => UndockerError): T {
  const destroy = stream.destroy.bind(stream);
  stream.destroy = (error?: Error): T =>
    destroy(error === undefined || error instanceof UndockerError ? error : rename(error.message));
  return stream;
}

/**
 * GUNZIP_CHUNK is the size of each buffer zlib decodes into, a new one each time. One that lives
 * through two young collections waits for a full one: writing 300,000 gzip'd files into a
 * directory, 256 and 128 KB buffers so held 40 to 65 MB at times (peaks of 94 or 160 MB, by
 * chance), 64 KB ones never (5 runs each). Those freed wait for the next collection: 32 KB ones
 * took 3-4 MB off the peak of a directory write of 1 GiB of gzip layers, 1 MB off a tar, in the
 * same time. A reader that does little per entry may take more.
 */
export const GUNZIP_CHUNK = 32 * 1024;

/**
 * decoderFor returns a transform that decompresses `compression`, or undefined for none; `where` names the input in
 * errors; `chunkBytes` sizes gzip's output buffers.
 */
export function decoderFor(compression: Compression, where: string, chunkBytes = GUNZIP_CHUNK): Duplex | undefined {
  const failure = (said: string): UndockerError =>
    new BadArchiveError(`${where}: cannot decompress ${compression} data: ${said}`);
  switch (compression) {
    case 'none':
      return undefined;
    case 'gzip':
      return namingErrors(createGunzip({ chunkSize: chunkBytes }), failure);
    case 'zstd':
      return filterThrough('zstd', ['-dcq'], failure);
    case 'xz':
      return filterThrough('xz', ['-dcq'], failure);
    case 'bzip2':
      return filterThrough('bzip2', ['-dc'], failure); // -q would hide why it failed
  }
}

/**
 * encoderFor returns a transform that compresses to `compression`, or undefined for none; `where` names the output in
 * errors.
 */
export function encoderFor(compression: Compression, where: string): Duplex | undefined {
  const failure = (said: string): UndockerError =>
    new UndockerError('UNDOCKER_IO', `writing ${where}: ${compression} compression failed: ${said}`);
  switch (compression) {
    case 'none':
      return undefined;
    case 'gzip':
      return namingErrors(createGzip(), failure);
    case 'zstd':
      return filterThrough('zstd', ['-cq', '-T0'], failure);
    case 'xz':
      return filterThrough('xz', ['-cq', '-T0'], failure);
    case 'bzip2':
      return filterThrough('bzip2', ['-cq'], failure);
  }
}

/** compressionFromName picks the output compression for a tar file name, or undefined if it is no tar name. */
export function compressionFromName(name: string): Compression | undefined {
  if (/\.tar$/.test(name)) return 'none';
  if (/\.(tar\.gz|tgz)$/.test(name)) return 'gzip';
  if (/\.(tar\.xz|txz)$/.test(name)) return 'xz';
  if (/\.(tar\.zst|tzst)$/.test(name)) return 'zstd';
  return undefined;
}
