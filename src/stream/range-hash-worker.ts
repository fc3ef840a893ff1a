/**
 * The range-hashing thread (see range-hash.ts): it hashes the file ranges it is sent, one after
 * the other, reading them itself, and answers each with its hex digest. A job is handled in one
 * synchronous turn, so its cancel flag lives in shared memory, where the loop can see it.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { RangeAnswer, RangeJob } from './range-hash.js';

const CHUNK = 1024 * 1024;
const buffer = Buffer.allocUnsafeSlow(CHUNK);

function hashRange(job: RangeJob): RangeAnswer {
  const hash = createHash(job.algorithm);
  for (let done = 0; done < job.size;) {
    if (Atomics.load(job.cancel, 0) !== 0) return { id: job.id, cancelled: true };
    const got = readSync(job.fd, buffer, 0, Math.min(CHUNK, job.size - done), job.start + done);
    if (got === 0) return { id: job.id, error: `the file ends ${job.size - done} bytes early` };
    hash.update(buffer.subarray(0, got));
    done += got;
  }
  return { id: job.id, hex: hash.digest('hex') };
}

parentPort!.on('message', (job: RangeJob) => {
  let answer: RangeAnswer;
  try {
    answer = hashRange(job);
  } catch (error) {
    answer = { id: job.id, error: (error as Error).message };
  }
  parentPort!.postMessage(answer);
});
