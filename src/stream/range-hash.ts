/**
 * Hashing a range of a file on a thread of its own, which reads the file itself. A plain layer in
 * a file is read twice by the tar output (headers, then data); hashing it as the data pass reads
 * it made that pass wait for the hash (0.5 s of a 1 GiB flatten here). Started with the first
 * pass, the hash is done long before the second pass needs it. The caller keeps the file open
 * until the digest settles (`cancel` waits for that), as the thread reads it by descriptor.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../host/young-generation.js';
import type { HashAlgorithm } from './hash-thread.js';

const CHUNK = 1024 * 1024;
let chunk: Buffer | undefined;

/**
 * digestOfRange hashes `size` bytes of `fd` from `start` on this thread, and returns the hex
 * digest; undefined if `stop` says so before a read. It throws if the file ends early.
 */
export function digestOfRange(
  fd: number,
  start: number,
  size: number,
  algorithm: HashAlgorithm,
  stop: () => boolean = () => false,
): string | undefined {
  const hash = createHash(algorithm);
  chunk ??= Buffer.allocUnsafeSlow(CHUNK);
  for (let done = 0; done < size;) {
    if (stop()) return undefined;
    const got = readSync(fd, chunk, 0, Math.min(CHUNK, size - done), start + done);
    if (got === 0) throw new Error(`the file ends ${size - done} bytes early`);
    hash.update(chunk.subarray(0, got));
    done += got;
  }
  return hash.digest('hex');
}

/** RangeJob is what the thread is sent: `size` bytes of `fd` from `start`. */
export interface RangeJob {
  id: number;
  fd: number;
  start: number;
  size: number;
  algorithm: HashAlgorithm;
  /** cancel[0] set to 1 stops the job at its next read. */
  cancel: Int32Array;
}

/** RangeAnswer is the thread's reply: a hex digest, an error, or that the job was cancelled. */
export interface RangeAnswer {
  id: number;
  hex?: string;
  error?: string;
  cancelled?: boolean;
}

/** RangeHash is one range being hashed. */
export interface RangeHash {
  /** digest resolves to the hex digest; it rejects if the range cannot be read or the job was cancelled. */
  digest: Promise<string>;
  /** cancel stops the job and resolves once the thread no longer reads the file. */
  cancel(): Promise<void>;
}

interface Waiting {
  resolve(hex: string): void;
  reject(error: Error): void;
}

/** RangeHashThread is the worker and the jobs it owes an answer for; it lives while it owes one. */
class RangeHashThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor() {
    // Spelled from the folder above, as every worker path is: the CLI bundle in dist/src/cli finds it too.
    this.worker = startWorker(new URL('../stream/range-hash-worker.js', import.meta.url));
    this.worker.unref(); // referenced only while a job is out: a digest awaited keeps the process alive
    this.worker.on('message', (answer: RangeAnswer) => this.answer(answer));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', () => this.failAll(new Error('the range-hashing thread stopped')));
  }

  hash(fd: number, start: number, size: number, algorithm: HashAlgorithm): RangeHash {
    const id = this.nextId++;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const digest = new Promise<string>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
    });
    digest.catch(() => undefined); // awaited by the caller in its time; a cancelled one may never be
    if (this.waiting.size === 1) this.worker.ref();
    const job: RangeJob = { id, fd, start, size, algorithm, cancel };
    this.worker.postMessage(job);
    return {
      digest,
      cancel: async () => {
        Atomics.store(cancel, 0, 1);
        await digest.catch(() => undefined);
      },
    };
  }

  private settle(id: number): Waiting | undefined {
    const waiting = this.waiting.get(id);
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.stop();
    return waiting;
  }

  /**
   * stop ends the thread once it owes no answer: a thread costs 10 MB, and the layers it hashed
   * ahead are done long before a big flatten's tree reaches its peak. The next hash starts another.
   */
  private stop(): void {
    if (thread === this) thread = undefined;
    void this.worker.terminate();
  }

  private answer(answer: RangeAnswer): void {
    const waiting = this.settle(answer.id);
    if (answer.hex !== undefined) waiting?.resolve(answer.hex);
    else waiting?.reject(new Error(answer.error ?? 'cancelled'));
  }

  private failAll(error: Error): void {
    for (const id of [...this.waiting.keys()]) this.settle(id)?.reject(error);
    if (thread === this) thread = undefined;
  }
}

let thread: RangeHashThread | undefined;

/** hashFileRange starts hashing `size` bytes of file descriptor `fd` from `start`. */
export function hashFileRange(fd: number, start: number, size: number, algorithm: HashAlgorithm): RangeHash {
  thread ??= new RangeHashThread();
  return thread.hash(fd, start, size, algorithm);
}
