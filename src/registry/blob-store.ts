/**
 * The shared local store of pulled content: `blobs/sha256/<hex>` as in an OCI image layout (so
 * many images share their layers, and the store opens as a layout), `refs/` mapping each pulled
 * reference to its manifest digest. A blob appears under its name only once its bytes match its
 * digest; a download in progress is `<hex>.partial`, which a later pull resumes with a Range
 * request. A lock file keeps two pulls of one blob from writing it at once.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DigestMismatchError, isErrno, UndockerError } from '../errors.js';
import { lockBlob } from './blob-lock.js';
import { Backoff, sleep } from './retry.js';
import { sha256Of } from '../image/digest.js';
import type { RegistryClient } from './client.js';

/** BrokenDownload is a blob download that stopped part way; what arrived is kept for a Range request. */
class BrokenDownload extends Error {}

/** Progress hears of bytes as they arrive. */
export type Progress = (bytes: number) => void;

/** BlobStore is a content-addressed folder of blobs. */
export class BlobStore {
  constructor(readonly root: string) {}

  /** path is where a blob lives (whether or not it is there yet). */
  path(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  /** has tells whether a complete blob is stored. */
  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  /** put stores bytes under their digest, which must match. */
  async put(digest: string, bytes: Buffer, what: string): Promise<void> {
    const actual = sha256Of(bytes);
    if (actual !== digest) throw new DigestMismatchError(what, digest, actual);
    if (this.has(digest)) return;
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    const temporary = `${this.path(digest)}.${process.pid}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, this.path(digest));
  }

  /** setRef records that `reference` names manifest `digest`. */
  async setRef(reference: string, digest: string): Promise<void> {
    const dir = join(this.root, 'refs');
    await mkdir(dir, { recursive: true });
    const file = join(dir, encodeURIComponent(reference));
    await writeFile(`${file}.${process.pid}.tmp`, `${digest}\n`);
    await rename(`${file}.${process.pid}.tmp`, file);
  }

  /** getRef returns the manifest digest a pulled reference names, if it was pulled. */
  async getRef(reference: string): Promise<string | undefined> {
    try {
      return (await readFile(join(this.root, 'refs', encodeURIComponent(reference)), 'utf8')).trim();
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  /**
   * download fetches a blob into the store unless it is there, resuming a partial download. A
   * download that breaks off is resumed where it stopped, with backoff, within the client's
   * retry time; then it gives up with one line naming the blob and the registry.
   */
  async download(
    client: RegistryClient,
    digest: string,
    size: number | undefined,
    what: string,
    progress?: Progress,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.has(digest)) return;
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    const lockPath = `${this.path(digest)}.lock`;
    const lock = await lockBlob(lockPath, signal);
    try {
      const backoff = new Backoff(client.retry);
      while (!this.has(digest)) {
        try {
          await this.fetchInto(client, digest, size, what, progress);
        } catch (error) {
          if (!(error instanceof BrokenDownload)) throw error;
          const delay = backoff.next();
          if (delay === undefined) {
            throw new UndockerError(
              'UNDOCKER_NETWORK',
              `${what}: the download from ${client.reference.registry} broke off ${backoff.attempts + 1} times in ` +
                `${backoff.elapsedSeconds()} s (${error.message}): giving up; pull again to resume`,
              { cause: error },
            );
          }
          await sleep(delay, signal);
        }
      }
    } finally {
      // Once the blob is in place the lock file can go: a pull still waiting on its inode finds the blob and
      // stops. After a failure it stays, so no third pull can lock a new file of the same name beside it.
      if (this.has(digest)) await rm(lockPath, { force: true });
      await lock.release();
    }
  }

  private async fetchInto(
    client: RegistryClient,
    digest: string,
    size: number | undefined,
    what: string,
    progress?: Progress,
  ): Promise<void> {
    const partial = `${this.path(digest)}.partial`;
    let have = await stat(partial).then(
      (info) => info.size,
      () => 0,
    );
    const hash = createHash('sha256');
    if (have > 0) {
      for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
      progress?.(have);
    }
    if (size !== undefined && have >= size) {
      // A run that ended between the last byte and the rename: check what is there.
      await this.keep(partial, digest, `sha256:${hash.digest('hex')}`, have === size, what);
      return;
    }
    const response = await client.request(`blobs/${digest}`, {
      headers: have > 0 ? { range: `bytes=${have}-` } : {},
      expect: [200, 206],
      what,
    });
    const file = await open(partial, response.status === 206 ? 'a' : 'w');
    let fresh: Hash = hash;
    if (response.status === 200 && have > 0) {
      // The registry ignored the Range: start again.
      fresh = createHash('sha256');
      progress?.(-have);
      have = 0;
    }
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        fresh.update(bytes);
        await file.write(bytes);
        have += bytes.length;
        progress?.(bytes.length);
      }
    } catch (error) {
      throw new BrokenDownload(
        `after ${have}${size !== undefined ? ` of ${size}` : ''} bytes: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      await file.close();
    }
    await this.keep(partial, digest, `sha256:${fresh.digest('hex')}`, size === undefined || have === size, what);
  }

  /** keep moves a finished download into place if its digest (and size) match, and throws it away if not. */
  private async keep(
    partial: string,
    digest: string,
    actual: string,
    sizeMatches: boolean,
    what: string,
  ): Promise<void> {
    if (actual !== digest || !sizeMatches) {
      await rm(partial, { force: true });
      throw new DigestMismatchError(what, digest, actual);
    }
    await rename(partial, this.path(digest));
  }
}
