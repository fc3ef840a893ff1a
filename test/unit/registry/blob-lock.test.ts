import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { lockBlob } from '../../../src/registry/blob-lock.js';
import { isAlive } from '../../../src/host/process-alive.js';
import { tempDir } from '../../helpers/archives.js';

test('regression: the blob lock is held by one process at a time, and a killed holder lets it go', async () => {
  const path = join(tempDir(), 'blob.lock');
  const first = await lockBlob(path);
  let secondHeld = false;
  const second = lockBlob(path).then((lock) => {
    secondHeld = true;
    return lock;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(secondHeld, false, 'the second waits while the first holds it');
  await first.release();
  await (await second).release();
  // A holder killed with SIGKILL: the kernel drops its lock; nothing stale is left to remove.
  // The holder is the locking process itself (--no-fork), which would hold it for ten minutes.
  const holder = spawn('flock', ['--exclusive', '--no-fork', path, 'sleep', '600']);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const waiting = lockBlob(path);
  const tooLate = new Promise<'still held'>((resolve) => setTimeout(() => resolve('still held'), 300).unref());
  assert.equal(await Promise.race([waiting.then(() => 'taken'), tooLate]), 'still held', 'the live holder keeps it');
  holder.kill('SIGKILL');
  const after = await waiting;
  await after.release();
});

test('isAlive: pid 0 and below name no process; this process lives', () => {
  assert.equal(isAlive(0), false);
  assert.equal(isAlive(-1), false);
  assert.equal(isAlive(process.pid), true);
});
