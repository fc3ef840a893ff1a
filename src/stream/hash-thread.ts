/**
 * Hashing on a second thread. SHA-256 costs 0.6 s per GiB here, and on the main thread it was
 * the largest single cost of flattening a big image: every layer byte is hashed at least once.
 * A worker thread hashes instead, while the main thread parses and writes. Bytes reach it through
 * a ring of slots in shared memory (a copy costs a tenth of a hash); the main thread waits only
 * when the ring is full, that is when hashing is what limits the speed anyway.
 *
 * One worker serves every hash of the process, in the order their bytes were given. `digest` is
 * synchronous, as node:crypto's is: it waits for the worker to reach the end of that hash.
 *
 * A reader can also borrow the next slot and read the file straight into it (`lendSlot`, then
 * `commitSlot`): the worker then hashes the very memory the reader hands out, with no copy.
 * Reading a 1 GiB layer so saved the 0.24 s the copies into the ring took on the main thread.
 */
import { startWorker } from '../host/young-generation.js';
import { createHash } from 'node:crypto';

/** ByteHash is what a digest check needs of a hash: node:crypto's Hash and OffloadedHash both are one. */
export interface ByteHash {
  update(data: Uint8Array): unknown;
  digest(encoding: 'hex'): string;
}

/**
 * SlotLender is a hash that lends the memory its next bytes are to be read into: `lendSlot`
 * returns SLOT_BYTES of it, and `commitSlot` hashes `length` bytes of it from `offset`. Nothing
 * else may be given to any offloaded hash between the two; the memory stays the reader's until
 * SLOTS - 1 more slots have been lent.
 */
export interface SlotLender {
  lendSlot(): Buffer;
  commitSlot(offset: number, length: number): void;
}

/** isSlotLender tells a hash that can lend slots. */
export function isSlotLender(hash: ByteHash): hash is ByteHash & SlotLender {
  return hash instanceof OffloadedHash;
}

export type HashAlgorithm = 'sha256' | 'sha512';

const SLOTS = 8;
const SLOT_BYTES = 256 * 1024;
/** Control words: slots put in, slots taken out, the hash id whose digest is ready, a failure flag. */
const HEAD = 0;
const TAIL = 1;
const DONE = 2;
const FAILED = 3;
const CONTROL_WORDS = 4;
/** Each slot has three words (hash id, length or a command, offset of the bytes) and its bytes. */
const SLOT_WORDS = 3;
const START = -1;
const FINISH = -2;
const ALGORITHMS: HashAlgorithm[] = ['sha256', 'sha512'];
/** A worker that makes no progress for this long is taken as gone. */
const STALL_MS = 60_000;

/** HashRing is the shared memory both threads see. */
interface HashRing {
  control: Int32Array;
  slotWords: Int32Array;
  bytes: Uint8Array;
  /** result holds the hex digest of the hash named by control[DONE]. */
  result: Uint8Array;
}

function ringOn(shared: SharedArrayBuffer): HashRing {
  const control = new Int32Array(shared, 0, CONTROL_WORDS);
  const slotWords = new Int32Array(shared, CONTROL_WORDS * 4, SLOTS * SLOT_WORDS);
  const bytesAt = (CONTROL_WORDS + SLOTS * SLOT_WORDS) * 4;
  const bytes = new Uint8Array(shared, bytesAt, SLOTS * SLOT_BYTES);
  const result = new Uint8Array(shared, bytesAt + SLOTS * SLOT_BYTES, 128);
  return { control, slotWords, bytes, result };
}

function ringBytes(): number {
  return (CONTROL_WORDS + SLOTS * SLOT_WORDS) * 4 + SLOTS * SLOT_BYTES + 128;
}

/** waitWhile blocks while control[index] holds `value`, failing if the worker failed or stalled. */
function waitWhile(control: Int32Array, index: number, value: number): void {
  while (Atomics.load(control, index) === value) {
    if (Atomics.load(control, FAILED) !== 0) throw new Error('the hashing thread failed');
    if (Atomics.wait(control, index, value, STALL_MS) === 'timed-out' && Atomics.load(control, index) === value)
      throw new Error('the hashing thread stopped answering');
  }
}

/** HashThread is the one worker and the producer's end of its ring. */
class HashThread {
  private readonly ring: HashRing;
  private readonly slots: Buffer[];
  private nextId = 1;

  constructor() {
    const shared = new SharedArrayBuffer(ringBytes());
    this.ring = ringOn(shared);
    const { byteOffset } = this.ring.bytes;
    this.slots = Array.from({ length: SLOTS }, (_, slot) =>
      Buffer.from(shared, byteOffset + slot * SLOT_BYTES, SLOT_BYTES),
    );
    // Spelled from the folder above, as every worker path is: the CLI bundle in dist/src/cli finds it too.
    const worker = startWorker(new URL('../stream/hash-worker.js', import.meta.url), { workerData: shared });
    worker.unref(); // a process whose work is done does not wait for its hasher
    worker.on('error', () => {
      Atomics.store(this.ring.control, FAILED, 1);
    });
  }

  newId(): number {
    return this.nextId++;
  }

  /** room waits until the worker is done with the slot at the head, and returns the head. */
  private room(): number {
    const { control } = this.ring;
    const head = Atomics.load(control, HEAD);
    while (head - Atomics.load(control, TAIL) >= SLOTS) waitWhile(control, TAIL, Atomics.load(control, TAIL));
    return head;
  }

  /** commit hands the slot at the head to the worker: a command, or `word` bytes from `offset`. */
  commit(id: number, word: number, offset = 0): void {
    const { control, slotWords } = this.ring;
    const head = Atomics.load(control, HEAD);
    const slot = head % SLOTS;
    slotWords[slot * SLOT_WORDS] = id;
    slotWords[slot * SLOT_WORDS + 1] = word;
    slotWords[slot * SLOT_WORDS + 2] = offset;
    Atomics.store(control, HEAD, head + 1);
    Atomics.notify(control, HEAD);
  }

  /** put hands one slot to the worker: a command, or up to SLOT_BYTES of data, copied in. */
  private put(id: number, word: number, data?: Uint8Array): void {
    const head = this.room();
    if (data !== undefined) this.ring.bytes.set(data, (head % SLOTS) * SLOT_BYTES);
    this.commit(id, word);
  }

  /** lend returns the memory of the slot at the head, for a reader to fill and `commit`. */
  lend(): Buffer {
    return this.slots[this.room() % SLOTS]!;
  }

  start(id: number, algorithm: HashAlgorithm): void {
    this.put(id, START, Uint8Array.of(ALGORITHMS.indexOf(algorithm)));
  }

  update(id: number, data: Uint8Array): void {
    for (let at = 0; at < data.length; at += SLOT_BYTES) {
      const part = data.subarray(at, Math.min(at + SLOT_BYTES, data.length));
      this.put(id, part.length, part);
    }
  }

  finish(id: number, hexLength: number): string {
    const { control, result } = this.ring;
    this.put(id, FINISH);
    while (Atomics.load(control, DONE) !== id) waitWhile(control, DONE, Atomics.load(control, DONE));
    const hex = Buffer.from(result.subarray(0, hexLength)).toString('latin1');
    Atomics.store(control, DONE, 0);
    Atomics.notify(control, DONE);
    return hex;
  }
}

let thread: HashThread | undefined;

/** OffloadedHash hashes on the shared worker thread; `update` copies, so its argument may be reused at once. */
export class OffloadedHash implements ByteHash, SlotLender {
  private readonly id: number;
  private digested = false;

  constructor(private readonly algorithm: HashAlgorithm) {
    thread ??= new HashThread();
    this.id = thread.newId();
    thread.start(this.id, algorithm);
  }

  update(data: Uint8Array): this {
    if (data.length > 0) thread!.update(this.id, data);
    return this;
  }

  lendSlot(): Buffer {
    return thread!.lend();
  }

  commitSlot(offset: number, length: number): void {
    thread!.commit(this.id, length, offset);
  }

  digest(_encoding: 'hex'): string {
    if (this.digested) throw new Error('digest already called');
    this.digested = true;
    return thread!.finish(this.id, this.algorithm === 'sha256' ? 64 : 128);
  }
}

/**
 * OFFLOAD_BYTES is the size from which a hash goes to the thread: below it, the worker's start
 * (about 20 ms, once) and the copies cost more than hashing in place.
 */
export const OFFLOAD_BYTES = 32 * 1024 * 1024;

/** hashFor starts a hash of about `expectedBytes`: on the worker thread when that is large. */
export function hashFor(algorithm: HashAlgorithm, expectedBytes: number): ByteHash {
  return expectedBytes >= OFFLOAD_BYTES ? new OffloadedHash(algorithm) : createHash(algorithm);
}

/** Exported for the worker: the layout and commands both ends share. */
export const HASH_RING = { SLOTS, SLOT_BYTES, SLOT_WORDS, HEAD, TAIL, DONE, FAILED, START, FINISH, ALGORITHMS, ringOn };
