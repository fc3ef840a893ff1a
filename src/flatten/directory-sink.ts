/**
 * DirectorySink turns the tree's changes into WriteOps for the writer thread, in order, in
 * batches: one message per few hundred operations, with file data copied into one transferred
 * buffer per batch. Buffers come back with the writer's reply and are reused, and the number
 * of batches in flight is bounded, so memory stays flat.
 */
import { Worker } from 'node:worker_threads';
import { UndockerError, type ErrorCode } from '../errors.js';
import { toDisplay } from '../tar/entry.js';
import type { Warn } from './fs-ops.js';
import type { TreeSink } from './sink.js';
import type { FsNode, FsTree, Meta } from './tree.js';
import type { Batch, OpMeta, WriteOp, WriterReply } from './write-ops.js';

const BATCH_BYTES = 1024 * 1024;
const BATCH_OPS = 512;
const MAX_BATCHES_IN_FLIGHT = 8;

function opMeta(meta: Meta): OpMeta {
  return {
    uid: meta.uid, gid: meta.gid, mode: meta.mode,
    time: meta.paxMtime !== undefined ? Number(meta.paxMtime) : meta.mtime,
    xattrs: [...meta.xattrs],
  };
}

function toError(reply: Extract<WriterReply, { kind: 'error' }>): Error {
  if (reply.code?.startsWith('UNDOCKER_')) return new UndockerError(reply.code as ErrorCode, reply.message);
  return Object.assign(new Error(reply.message), { code: reply.code });
}

/** DirectorySink writes the layers' changes below `root` through a writer thread. */
export class DirectorySink implements TreeSink {
  private readonly worker: Worker;
  private ops: WriteOp[] = [];
  private data = Buffer.from(new ArrayBuffer(BATCH_BYTES));
  private readonly spare: ArrayBuffer[] = [];
  private used = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly tree: FsTree, root: string, options: { ignoreErrors: boolean; warn: Warn }, private readonly where: () => string) {
    this.worker = new Worker(new URL('./disk-worker.js', import.meta.url), { workerData: { root, ignoreErrors: options.ignoreErrors } });
    this.worker.on('message', (reply: WriterReply) => {
      if (reply.kind === 'warn') options.warn(reply.message);
      else {
        if (reply.kind === 'done') this.spare.push(reply.data);
        if (reply.kind === 'error') this.failure ??= toError(reply);
        this.inFlight--;
        this.wake?.();
      }
    });
    this.worker.on('error', (error) => {
      this.failure ??= error;
      this.wake?.();
    });
  }

  private relative(node: FsNode): string {
    return this.tree.pathOf(node);
  }

  private label(node: FsNode): string {
    return `${this.where()}: ${toDisplay(this.tree.pathOf(node))}`;
  }

  private push(op: WriteOp): void {
    if (this.failure !== undefined) throw this.failure;
    this.ops.push(op);
    if (this.ops.length >= BATCH_OPS) this.flush();
  }

  private flush(): void {
    if (this.ops.length === 0) return;
    const batch: Batch = { ops: this.ops, data: this.data.buffer as ArrayBuffer };
    this.worker.postMessage(batch, [batch.data]);
    this.inFlight++;
    this.ops = [];
    this.used = 0;
    this.data = Buffer.from(this.spare.pop() ?? new ArrayBuffer(BATCH_BYTES));
  }

  /** room waits until few enough batches are in flight, and throws the writer's failure. */
  private async room(limit: number): Promise<void> {
    while (this.inFlight > limit && this.failure === undefined) await new Promise<void>((resolve) => { this.wake = resolve; });
    if (this.failure !== undefined) throw this.failure;
  }

  remove(node: FsNode): void {
    this.push({ op: 'remove', path: this.relative(node), directory: node.inode.kind === 'directory' });
  }

  makeDir(node: FsNode): void {
    this.push({ op: 'mkdir', path: this.relative(node), meta: opMeta(node.inode.meta), where: this.label(node) });
  }

  updateDir(node: FsNode, newXattrs: ReadonlyMap<string, Buffer>): void {
    this.push({ op: 'update-dir', path: this.relative(node), meta: opMeta(node.inode.meta), newXattrs: [...newXattrs], where: this.label(node) });
  }

  async writeFile(node: FsNode, body: AsyncIterable<Buffer>): Promise<void> {
    const where = this.label(node);
    this.push({ op: 'open', path: this.relative(node), mode: node.inode.meta.mode, where });
    for await (const chunk of body) {
      for (let taken = 0; taken < chunk.length;) {
        if (this.used === BATCH_BYTES) {
          this.flush();
          await this.room(MAX_BATCHES_IN_FLIGHT);
        }
        const offset = this.used;
        const length = Math.min(chunk.length - taken, BATCH_BYTES - offset);
        chunk.copy(this.data, offset, taken, taken + length);
        // Count the bytes before pushing: the push may flush the batch, which must carry them.
        this.used += length;
        taken += length;
        this.push({ op: 'data', offset, length });
      }
    }
    this.push({ op: 'close', meta: opMeta(node.inode.meta), where });
    // Batches of small files flush on their operation count: bound those in flight too.
    await this.room(MAX_BATCHES_IN_FLIGHT);
  }

  symlink(node: FsNode): void {
    this.push({ op: 'symlink', path: this.relative(node), target: node.inode.meta.linkname, meta: opMeta(node.inode.meta), where: this.label(node) });
  }

  link(target: FsNode, node: FsNode): void {
    this.push({ op: 'link', target: this.relative(target), path: this.relative(node), meta: opMeta(node.inode.meta), chmod: node.inode.kind !== 'symlink', where: this.label(node) });
  }

  special(node: FsNode): void {
    const { kind, meta } = node.inode;
    this.push({ op: 'special', path: this.relative(node), kind: kind as 'char' | 'block' | 'fifo', major: meta.devmajor, minor: meta.devminor, meta: opMeta(meta), where: this.label(node) });
  }

  /** finish sets directory modes and times, deepest first, and waits for the writer to finish. */
  async finish(): Promise<void> {
    const dirs = [this.tree.root, ...[...this.tree.nodes()].filter((n) => n.inode.kind === 'directory')].reverse();
    this.push({ op: 'finish-dirs', dirs: dirs.map((node) => ({ path: node === this.tree.root ? '' : this.relative(node), meta: opMeta(node.inode.meta) })), where: this.where() });
    this.flush();
    await this.room(0);
    await this.worker.terminate();
  }

  /** stop ends the writer without waiting for its work: after a failure, before cleaning up. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
