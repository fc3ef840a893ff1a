import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LOG_FILE, LogCursor, logFiles, LogWriter } from '../../../src/container/log-file.js';
import { parseLogOptions } from '../../../src/container/log-options.js';
import {
  formatRestartPolicy,
  nextDelay,
  parseRestartPolicy,
  restartsAtBoot,
  shouldRestart,
} from '../../../src/container/restart-policy.js';
import { tempDir } from '../../helpers/archives.js';

test('--restart reads as docker reads it, and each policy restarts when docker would', () => {
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maximumRetryCount: 3 });
  assert.deepEqual(parseRestartPolicy('always'), { name: 'always', maximumRetryCount: 0 });
  for (const bad of ['always:2', 'sometimes', 'on-failure:', 'no:1'])
    assert.throws(() => parseRestartPolicy(bad), /use no, on-failure\[:N\], always or unless-stopped/, bad);
  assert.equal(formatRestartPolicy(parseRestartPolicy('on-failure:3')), 'on-failure:3');
  const onFailure = parseRestartPolicy('on-failure:2');
  assert.equal(shouldRestart(onFailure, 1, 0, false), true);
  assert.equal(shouldRestart(onFailure, 1, 2, false), false, 'at most N restarts');
  assert.equal(shouldRestart(onFailure, 0, 0, false), false, 'a clean exit is no failure');
  assert.equal(shouldRestart(parseRestartPolicy('on-failure'), 1, 99, false), true, 'no bound without N');
  assert.equal(shouldRestart(parseRestartPolicy('always'), 0, 5, false), true);
  assert.equal(shouldRestart(parseRestartPolicy('unless-stopped'), 0, 5, true), false, 'a stop holds it');
  assert.equal(shouldRestart(parseRestartPolicy('no'), 1, 0, false), false);
  assert.equal(restartsAtBoot(parseRestartPolicy('always'), false, true), true, 'always starts even if stopped');
  assert.equal(restartsAtBoot(parseRestartPolicy('unless-stopped'), false, true), false);
  assert.equal(restartsAtBoot(parseRestartPolicy('unless-stopped'), false, false), true);
  assert.equal(restartsAtBoot(parseRestartPolicy('on-failure'), false, false), false);
  assert.equal(restartsAtBoot(parseRestartPolicy('always'), true, false), false, 'a running one is left alone');
});

test("restart delays are docker's: 100 ms doubling to a minute, back to 100 ms after 10 s up", () => {
  const delays: number[] = [];
  let delay: number | undefined;
  for (let i = 0; i < 12; i++) delays.push((delay = nextDelay(delay, 50)));
  assert.deepEqual(delays.slice(0, 4), [100, 200, 400, 800]);
  assert.equal(delays.at(-1), 60_000);
  assert.equal(nextDelay(60_000, 10_000), 100);
});

test('--log-opt takes max-size and max-file, and refuses what json-file has not', () => {
  assert.deepEqual(parseLogOptions([]), { maxSize: 0, maxFile: 1 });
  assert.deepEqual(parseLogOptions(['max-size=10k', 'max-file=3']), { maxSize: 10_240, maxFile: 3 });
  assert.deepEqual(parseLogOptions(['max-size=2m']), { maxSize: 2 * 1024 ** 2, maxFile: 1 });
  assert.throws(() => parseLogOptions(['max-size=0']), /give a size like 10m/);
  assert.throws(() => parseLogOptions(['max-file=3']), /max-file needs max-size/);
  assert.throws(() => parseLogOptions(['labels=a']), /takes max-size and max-file/);
});

test("the log is docker's json-file: one object per line, partial lines joined, characters kept whole", () => {
  const dir = tempDir();
  const log = new LogWriter(dir, { maxSize: 0, maxFile: 1 });
  const euro = Buffer.from('€\n');
  log.write('stdout', Buffer.concat([Buffer.from('one\ntw'), euro.subarray(0, 1)]));
  log.write('stderr', Buffer.from('err\n'));
  log.write('stdout', Buffer.concat([euro.subarray(1), Buffer.from('no newline')]));
  log.flush();
  const entries = new LogCursor(join(dir, LOG_FILE)).read();
  assert.deepEqual(
    entries.map((e) => [e.stream, e.log]),
    [
      ['stdout', 'one\n'],
      ['stderr', 'err\n'],
      ['stdout', 'tw€\n'],
      ['stdout', 'no newline'],
    ],
  );
  for (const entry of entries) assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(readFileSync(join(dir, LOG_FILE), 'utf8'), /^\{"log":"one\\n","stream":"stdout","time":"/);
});

test('with max-size the log rotates into max-file files, the oldest dropped; a cursor follows a rotation', () => {
  const dir = tempDir();
  const log = new LogWriter(dir, { maxSize: 300, maxFile: 3 });
  const cursor = new LogCursor(join(dir, LOG_FILE));
  for (let i = 0; i < 20; i++) log.write('stdout', Buffer.from(`line ${i}\n`));
  const files = logFiles(dir);
  assert.deepEqual(
    files.map((f) => f.slice(dir.length + 1)),
    [`${LOG_FILE}.2`, `${LOG_FILE}.1`, LOG_FILE],
  );
  const lines = files.flatMap((file) => new LogCursor(file).read().map((e) => e.log));
  assert.equal(lines.at(-1), 'line 19\n');
  assert.ok(!lines.includes('line 0\n'), 'the oldest file was dropped');
  assert.deepEqual(
    lines.map((l) => Number(/\d+/.exec(l)?.[0])),
    Array.from({ length: lines.length }, (_, i) => 20 - lines.length + i),
    'what is kept is contiguous',
  );
  assert.ok(cursor.read().length > 0);
  writeFileSync(join(dir, LOG_FILE), '');
  log.write('stdout', Buffer.from('after\n'));
  assert.deepEqual(
    cursor.read().map((e) => e.log),
    ['after\n'],
    'a truncated file is read from its start',
  );
});
