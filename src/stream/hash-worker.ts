/**
 * The hashing thread (see hash-thread.ts): it takes slots from the ring in order, hashes their
 * bytes into the hash they name, and answers each finish with the hex digest.
 */
import { createHash, type Hash } from 'node:crypto';
import { workerData } from 'node:worker_threads';
import { HASH_RING } from './hash-thread.js';

const { SLOTS, SLOT_BYTES, SLOT_WORDS, HEAD, TAIL, DONE, FAILED, START, FINISH, ALGORITHMS, ringOn } = HASH_RING;
const { control, slotWords, bytes, result } = ringOn(workerData as SharedArrayBuffer);
const hashes = new Map<number, Hash>();

function take(slot: number): void {
  const id = slotWords[slot * SLOT_WORDS]!;
  const word = slotWords[slot * SLOT_WORDS + 1]!;
  const from = slot * SLOT_BYTES + slotWords[slot * SLOT_WORDS + 2]!;
  if (word === START) {
    hashes.set(id, createHash(ALGORITHMS[bytes[from]!]!));
  } else if (word === FINISH) {
    const hex = Buffer.from(hashes.get(id)!.digest('hex'), 'latin1');
    hashes.delete(id);
    while (Atomics.load(control, DONE) !== 0) Atomics.wait(control, DONE, Atomics.load(control, DONE));
    result.set(hex);
    Atomics.store(control, DONE, id);
    Atomics.notify(control, DONE);
  } else {
    hashes.get(id)!.update(bytes.subarray(from, from + word));
  }
}

try {
  for (let tail = Atomics.load(control, TAIL); ; tail++) {
    while (Atomics.load(control, HEAD) === tail) Atomics.wait(control, HEAD, tail);
    take(tail % SLOTS);
    Atomics.store(control, TAIL, tail + 1);
    Atomics.notify(control, TAIL);
  }
} catch {
  Atomics.store(control, FAILED, 1);
  Atomics.notify(control, TAIL);
  Atomics.notify(control, DONE);
}
