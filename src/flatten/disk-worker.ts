/**
 * The directory writer thread: performs the batches of WriteOps the main thread sends, so the
 * filesystem calls (about 60 us each to create a file here) run on one core while reading,
 * hashing and parsing the layers run on the other.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DiskWriter } from './disk-writer.js';
import { createFsOps } from './fs-ops.js';
import type { Batch, WriterReply } from './write-ops.js';

const { root, output, ignoreErrors } = workerData as { root: string; output: string; ignoreErrors: boolean };
const port = parentPort as NonNullable<typeof parentPort>;
const reply = (message: WriterReply): void => port.postMessage(message);
const disk = new DiskWriter(
  root,
  createFsOps({ ignoreErrors, scratch: root, warn: (message) => reply({ kind: 'warn', message }) }),
  output,
);
let failed = false;

port.on('message', (batch: Batch) => {
  if (failed) return; // after a failure the run is over: later batches are dropped
  try {
    disk.apply(Buffer.from(batch.data), batch.length);
    // The buffer goes back to be filled again: garbage here would only be freed by this thread's GC.
    port.postMessage({ kind: 'done', data: batch.data } satisfies WriterReply, [batch.data]);
  } catch (error) {
    failed = true;
    disk.abandon();
    const { code, message } = error as { code?: unknown; message?: unknown };
    reply({ kind: 'error', code: typeof code === 'string' ? code : undefined, message: String(message ?? error) });
  }
});
