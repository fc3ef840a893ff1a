/**
 * The process's directory writer thread, kept from one DirectorySink to the next: a cold run
 * unpacks its layers one after another, and a thread started for each made and tore down a V8
 * isolate per layer; worse, a starting worker sets V8's flags back to node's while this thread,
 * busy with the layer, cannot set them again (young-generation.ts), and the young generation
 * doubled (4 -> 8 MB). Measured on the run benchmark's cold image: peak 113-114 -> 110-113 MB.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../host/young-generation.js';

let idle: Worker | undefined;

/** takeDiskWriter returns the kept writer thread, or a new one; it keeps the process alive until given back. */
export function takeDiskWriter(): Worker {
  const worker = idle ?? startWorker(new URL('../flatten/disk-worker.js', import.meta.url));
  idle = undefined;
  worker.removeAllListeners('error').removeAllListeners('exit');
  worker.ref();
  return worker;
}

/**
 * giveBackDiskWriter keeps `worker`, its batches all answered, for the next sink; one whose run
 * failed is ended instead, as its state is not known.
 */
export async function giveBackDiskWriter(worker: Worker, healthy: boolean): Promise<void> {
  worker.removeAllListeners('message').removeAllListeners('error');
  if (!healthy || idle !== undefined) {
    await worker.terminate();
    return;
  }
  // Idle, it must neither keep the process alive nor crash it with an error nobody hears.
  const forget = (): void => {
    if (idle === worker) idle = undefined;
  };
  worker.unref();
  worker.on('error', forget).once('exit', forget);
  idle = worker;
}
