/**
 * The directory writer thread kept between sinks (src/flatten/disk-writers.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { giveBackDiskWriter, takeDiskWriter } from '../../../src/flatten/disk-writers.js';

test('a writer given back healthy is the next one taken; one given back after a failure ends', async () => {
  const first = takeDiskWriter();
  await new Promise((resolve) => first.once('online', resolve));
  await giveBackDiskWriter(first, true);
  const again = takeDiskWriter();
  assert.equal(again.threadId, first.threadId, 'the same thread');
  const ended = new Promise((resolve) => again.once('exit', resolve));
  await giveBackDiskWriter(again, false);
  await ended;
  const fresh = takeDiskWriter();
  assert.notEqual(fresh.threadId, first.threadId, 'a new thread');
  await giveBackDiskWriter(fresh, false);
});

test('a kept writer does not keep the process alive', () => {
  const module = new URL('../../../src/flatten/disk-writers.js', import.meta.url).href;
  const script =
    `const m = await import(${JSON.stringify(module)}); const w = m.takeDiskWriter();` +
    "await new Promise((resolve) => w.once('online', resolve)); await m.giveBackDiskWriter(w, true);";
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
  assert.equal(result.signal, null, 'it ended by itself, not at the timeout');
  assert.equal(result.status, 0, result.stderr.toString());
});
