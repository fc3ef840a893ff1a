/**
 * The directory writer thread: performs the batches of WriteOps the main thread sends, so the
 * filesystem calls (about 60 us each to create a file here) run on one core while reading,
 * hashing and parsing the layers run on the other. It is kept from one sink to the next
 * (disk-writers.ts): each says where its batches go with a WriterStart.
 */
import { parentPort } from 'node:worker_threads';
import { DiskWriter } from './disk-writer.js';
import { createFsOps } from './fs-ops.js';
import type { Batch, WriterReply, WriterStart } from './write-ops.js';

const port = parentPort as NonNullable<typeof parentPort>;
const reply = (message: WriterReply): void => port.postMessage(message);
let disk: DiskWriter | undefined;
let failed = false;

port.on('message', (message: WriterStart | Batch) => {
  if (message.kind === 'start') {
    const { root, output, ignoreErrors } = message;
    const ops = createFsOps({ ignoreErrors, scratch: root, warn: (text) => reply({ kind: 'warn', message: text }) });
    disk = new DiskWriter(root, ops, output);
    failed = false;
    return;
  }
  if (failed || disk === undefined) return; // after a failure the run is over: later batches are dropped
  try {
    disk.apply(Buffer.from(message.data), message.length);
    // The buffer goes back to be filled again: garbage here would only be freed by this thread's GC.
    port.postMessage({ kind: 'done', data: message.data } satisfies WriterReply, [message.data]);
  } catch (error) {
    failed = true;
    disk.abandon();
    const { code, message: text } = error as { code?: unknown; message?: unknown };
    reply({ kind: 'error', code: typeof code === 'string' ? code : undefined, message: String(text ?? error) });
  }
});
