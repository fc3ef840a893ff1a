/**
 * DirectorySink turns the tree's changes into operations for the writer thread, in order, in
 * batches: one buffer of encoded operations and file data per message (write-ops.ts), sent
 * when full or after a few hundred operations. Buffers come back with the writer's reply and
 * are reused, by the next sink too, and the number of batches in flight is bounded, so memory
 * stays flat.
 */
import type { Worker } from 'node:worker_threads';
import { UndockerError, type ErrorCode } from '../errors.js';
import type { Warn } from './fs-ops.js';
import { sparsePieces } from '../tar/sparse.js';
import type { TarEntry } from '../tar/entry.js';
import type { FileData, TreeSink } from './sink.js';
import { type FsTree, type Meta, NO_XATTRS } from './tree.js';
import { giveBackDiskWriter, takeDiskWriter } from './disk-writers.js';
import {
  type Batch,
  OpEncoder,
  type OpMeta,
  type SpecialKind,
  type WriterReply,
  type WriterStart,
} from './write-ops.js';

const BATCH_BYTES = 1024 * 1024;
const BATCH_OPS = 512;
const MAX_BATCHES_IN_FLIGHT = 8;

/**
 * SPARE holds the batch buffers the writers gave back, for every sink of this process: a run that
 * unpacks layers one after another makes a sink for each, and each sink's own buffers (9 MB) lay
 * uncollected beside the next one's (a peak 14 MB higher on the run benchmark's cold image).
 */
const SPARE: ArrayBuffer[] = [];
const MAX_SPARE = MAX_BATCHES_IN_FLIGHT + 2;

function opMeta(meta: Meta): OpMeta {
  return {
    uid: meta.uid,
    gid: meta.gid,
    mode: meta.mode,
    time: meta.paxMtime !== undefined ? Number(meta.paxMtime) : meta.mtime,
    xattrs: meta.xattrs,
  };
}

function toError(reply: Extract<WriterReply, { kind: 'error' }>): Error {
  if (reply.code?.startsWith('UNDOCKER_')) return new UndockerError(reply.code as ErrorCode, reply.message);
  return Object.assign(new Error(reply.message), { code: reply.code });
}

/** DirectorySink writes the layers' changes below `root` through a writer thread. */
export class DirectorySink implements TreeSink {
  private readonly worker: Worker;
  private readonly encoder: OpEncoder;
  private inFlight = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private layerWhere: string | undefined;

  constructor(
    private readonly tree: FsTree,
    root: string,
    options: { ignoreErrors: boolean; warn: Warn; output?: string },
    private readonly where: () => string,
  ) {
    this.worker = takeDiskWriter();
    const start: WriterStart = {
      kind: 'start',
      root,
      output: options.output ?? root,
      ignoreErrors: options.ignoreErrors,
    };
    this.worker.postMessage(start);
    this.worker.on('message', (reply: WriterReply) => {
      if (reply.kind === 'warn') options.warn(reply.message);
      else {
        if (reply.kind === 'done' && reply.data.byteLength === BATCH_BYTES && SPARE.length < MAX_SPARE)
          SPARE.push(reply.data);
        if (reply.kind === 'error') this.failure ??= toError(reply);
        this.inFlight--;
        this.wake?.();
      }
    });
    this.worker.on('error', (error) => {
      this.failure ??= error;
      this.wake?.();
    });
    const rootPath = Buffer.from(root.endsWith('/') ? root : `${root}/`, 'utf8');
    this.encoder = new OpEncoder(rootPath, (full, length, needed) => this.send(full, length, needed));
  }

  /** send posts a full buffer to the writer and returns the next one to fill. */
  private send(full: Buffer, length: number, needed: number): Buffer {
    if (length > 0) {
      const batch: Batch = { kind: 'batch', data: full.buffer as ArrayBuffer, length };
      this.worker.postMessage(batch, [batch.data]);
      this.inFlight++;
    }
    // An operation larger than a batch (huge xattrs) gets a buffer of its own size, not kept after.
    return Buffer.from(needed > BATCH_BYTES ? new ArrayBuffer(needed) : (SPARE.pop() ?? new ArrayBuffer(BATCH_BYTES)));
  }

  private relative(node: number): string {
    return this.tree.pathOf(node);
  }

  private meta(node: number): Meta {
    return this.tree.metaOf(this.tree.inodeOf(node));
  }

  /** begin checks for the writer's failure and names the layer the next operation comes from, when it changed. */
  private begin(): OpEncoder {
    if (this.failure !== undefined) throw this.failure;
    const where = this.where();
    if (where !== this.layerWhere) {
      this.layerWhere = where;
      this.encoder.encode('layer', { where });
    }
    return this.encoder;
  }

  private end(): void {
    if (this.encoder.count >= BATCH_OPS) this.encoder.flush();
  }

  /** room waits until few enough batches are in flight, and throws the writer's failure. */
  private async room(limit: number): Promise<void> {
    while (this.inFlight > limit && this.failure === undefined)
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    if (this.failure !== undefined) throw this.failure;
  }

  /** paced is undefined while few enough batches are in flight, else it resolves when there are. */
  paced(): Promise<void> | undefined {
    return this.inFlight > MAX_BATCHES_IN_FLIGHT || this.failure !== undefined
      ? this.room(MAX_BATCHES_IN_FLIGHT)
      : undefined;
  }

  remove(node: number): void {
    this.begin().encode('remove', { path: this.relative(node), directory: this.tree.isDirectory(node) });
    this.end();
  }

  makeDir(node: number): void {
    this.begin().encode('mkdir', { path: this.relative(node), meta: opMeta(this.meta(node)) });
    this.end();
  }

  updateDir(node: number, newXattrs: ReadonlyMap<string, Buffer>): void {
    // Only the owner and the added xattrs: mode and times wait for finishDir.
    this.begin().encode('updateDir', {
      path: this.relative(node),
      meta: { ...opMeta(this.meta(node)), xattrs: newXattrs },
    });
    this.end();
  }

  async writeFile(node: number, data: FileData): Promise<void> {
    await this.write(this.relative(node), this.meta(node), data);
  }

  async writeStreamed(parent: number, name: string, entry: TarEntry, data: FileData): Promise<void> {
    await this.write(parent === this.tree.root ? name : `${this.relative(parent)}/${name}`, entry, data);
  }

  private async write(path: string, meta: Meta, data: FileData): Promise<void> {
    this.begin().encode('open', { path, mode: meta.mode });
    if (data.fill !== undefined) {
      // Read straight into the batch: no window in between, no copy.
      await data.fill({
        room: () => this.encoder.dataRoom(),
        filled: (length) => {
          this.encoder.dataFilled(length);
          return this.paced();
        },
      });
    } else if (data.sparse !== undefined) {
      for await (const piece of sparsePieces(data.sparse.data, data.sparse.layout)) {
        if (typeof piece === 'number') this.encoder.encode('hole', { length: piece });
        else this.encoder.data(piece);
        const behind = this.paced();
        if (behind !== undefined) await behind;
      }
    } else {
      for await (const chunk of data.body) {
        this.encoder.data(chunk);
        const behind = this.paced();
        if (behind !== undefined) await behind;
      }
    }
    this.begin().encode('close', { meta: opMeta(meta) });
    this.end();
    // Batches of small files flush on their operation count: bound those in flight too.
    await this.paced();
  }

  symlink(node: number): void {
    const meta = this.meta(node);
    this.begin().encode('symlink', { path: this.relative(node), target: meta.linkname, meta: opMeta(meta) });
    this.end();
  }

  link(target: number, node: number): void {
    const chmod = this.tree.kindOf(node) !== 'symlink';
    const meta = opMeta(this.meta(node));
    this.begin().encode('link', { target: this.relative(target), path: this.relative(node), meta, chmod });
    this.end();
  }

  special(node: number): void {
    const meta = this.meta(node);
    this.begin().encode('special', {
      path: this.relative(node),
      kind: this.tree.kindOf(node) as SpecialKind,
      major: meta.devmajor,
      minor: meta.devminor,
      meta: opMeta(meta),
    });
    this.end();
  }

  /** finish sets directory modes and times, deepest first, and waits for the writer to finish. */
  async finish(): Promise<void> {
    const dirs = [this.tree.root, ...this.tree.directories()].reverse();
    for (const node of dirs) {
      // xattrs were set when the directory was made.
      const meta = { ...opMeta(this.meta(node)), xattrs: NO_XATTRS };
      this.begin().encode('finishDir', { path: node === this.tree.root ? '' : this.relative(node), meta });
      this.end();
      await this.paced();
    }
    this.encoder.flush();
    await this.room(0);
    await giveBackDiskWriter(this.worker, true);
  }

  /** stop ends the writer without waiting for its work: after a failure, before cleaning up. */
  async stop(): Promise<void> {
    await giveBackDiskWriter(this.worker, false);
  }
}
