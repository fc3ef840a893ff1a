/**
 * The range-hashing thread (see range-hash.ts): it hashes the file ranges it is sent, one after
 * the other, reading them itself, and answers each with its hex digest. A job is handled in one
 * synchronous turn, so its cancel flag lives in shared memory, where the loop can see it.
 */
import { parentPort } from 'node:worker_threads';
import { digestOfRange, type RangeAnswer, type RangeJob } from './range-hash.js';

function answerTo(job: RangeJob): RangeAnswer {
  try {
    const hex = digestOfRange(job.fd, job.start, job.size, job.algorithm, () => Atomics.load(job.cancel, 0) !== 0);
    return hex === undefined ? { id: job.id, cancelled: true } : { id: job.id, hex };
  } catch (error) {
    return { id: job.id, error: (error as Error).message };
  }
}

parentPort!.on('message', (job: RangeJob) => {
  parentPort!.postMessage(answerTo(job));
});
