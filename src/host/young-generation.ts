/**
 * A flatten keeps V8's young generation at its starting size. V8 doubles the young generation (up
 * to 16 MiB a semispace) each time the bytes its collections kept add up to its size, which any
 * long run reaches: a million-entry flatten grew it to 17 MB, a tenth of its peak memory. What a
 * flatten allocates per entry dies young, so collecting a 1 MiB semispace more often cost no time
 * (measured in the note of issue 19). The flag is set at run time, not on node's command line: under
 * any flag node compiles its built-in modules without their code cache (bin/undocker.cjs), and
 * here only the modules loaded after this call pay that.
 */
import { setFlagsFromString } from 'node:v8';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const FLAG = '--semi-space-growth-factor=1';
let kept = false;

/** keepYoungGenerationSmall stops the young generation growing, in this thread and in the workers started after. */
export function keepYoungGenerationSmall(): void {
  kept = true;
  setFlagsFromString(FLAG);
}

/**
 * WORKER_YOUNG_MB caps a worker's young generation. The workers (hashing, writing files) allocate
 * little that lives: with 2 MB a directory write of 1 GiB of gzip layers peaked 2.5 MB lower (and
 * with 32 KB gunzip buffers, under 100 MB), in the same time (tmpfs, 5 runs each).
 */
const WORKER_YOUNG_MB = 2;

/**
 * startWorker starts a worker thread with a small young generation. A worker, as it starts, sets
 * V8's flags back to node's (measured: the young generation grew to 33 MB after one did), so the
 * flag is set again once it runs.
 */
export function startWorker(url: URL, options?: WorkerOptions): Worker {
  const worker = new Worker(url, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB }, ...options });
  if (kept) worker.once('online', () => setFlagsFromString(FLAG));
  return worker;
}
