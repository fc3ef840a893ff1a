import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { identify } from '../../../src/host/process-identity.js';
import { claimUidRange, type HostFiles, RANGE_SIZE } from '../../../src/launch/uid-range.js';
import { tempDir } from '../../helpers/archives.js';

const work = tempDir('undocker-uid-range-');
after(() => rmSync(work, { recursive: true, force: true }));

let made = 0;
/** hostFiles is an empty host of its own: no accounts, no claims. */
function hostFiles(): HostFiles {
  const dir = join(work, String(made++));
  mkdirSync(join(dir, 'nspawn'), { recursive: true });
  return {
    claims: join(dir, 'claims'),
    passwd: join(dir, 'passwd'),
    group: join(dir, 'group'),
    subuid: join(dir, 'subuid'),
    subgid: join(dir, 'subgid'),
    nspawnClaims: join(dir, 'nspawn'),
  };
}

test('a range is a block of 65536 ids where systemd-nspawn picks them, the same for a name while it is free', () => {
  const files = hostFiles();
  const first = claimUidRange('web-1', files);
  const { start, size } = first.range;
  assert.equal(size, RANGE_SIZE);
  assert.ok(start >= 0x80000 && start + size <= 0x6fff0000 && start % size === 0, String(start));
  assert.deepEqual(readdirSync(files.claims), [`${start}-${process.pid}-${identify(process.pid)?.start}`]);
  first.release();
  assert.deepEqual(readdirSync(files.claims), [], 'release removes the claim');
  const again = claimUidRange('web-1', files);
  assert.equal(again.range.start, start, 'a free range goes to the same name again');
  const other = claimUidRange('web-1', files);
  assert.equal(other.range.start, start + size, 'a held range is skipped: the next block');
  again.release();
  other.release();
});

test("a range is skipped when the host's accounts, subordinate ids or systemd-nspawn use any id of it", () => {
  const files = hostFiles();
  const { start } = claimUidRange('db', files).range;
  rmSync(files.claims, { recursive: true });
  writeFileSync(files.passwd, `root:x:0:0::/root:/bin/sh\nsvc:x:${start + 65535}:100::/:/bin/sh\n`);
  assert.equal(claimUidRange('db', files).range.start, start + RANGE_SIZE, '/etc/passwd');
  rmSync(files.claims, { recursive: true });
  writeFileSync(files.passwd, '');
  writeFileSync(files.subgid, `alice:${start - 10}:11\n`);
  assert.equal(claimUidRange('db', files).range.start, start + RANGE_SIZE, '/etc/subgid');
  rmSync(files.claims, { recursive: true });
  writeFileSync(files.subgid, '');
  writeFileSync(join(files.nspawnClaims, String(start)), '');
  assert.equal(claimUidRange('db', files).range.start, start + RANGE_SIZE, "systemd-nspawn's own claim");
});

test("a claim whose process is gone is nobody's; a living process's claim holds", async () => {
  const files = hostFiles();
  const mine = claimUidRange('app', files);
  const { start } = mine.range;
  mine.release();
  mkdirSync(files.claims, { recursive: true });
  // A pid that ran once, with a start time it no longer has: its claim is stale and goes.
  writeFileSync(join(files.claims, `${start}-${process.pid}-1`), 'app\n');
  const claimed = claimUidRange('app', files);
  assert.equal(claimed.range.start, start);
  assert.ok(!readdirSync(files.claims).includes(`${start}-${process.pid}-1`), 'the stale claim is removed');
  claimed.release();
  // Another living process holds it: skipped.
  const sleeper = spawn('sleep', ['30']);
  try {
    const holder = identify(sleeper.pid ?? 0);
    assert.ok(holder);
    writeFileSync(join(files.claims, `${start}-${holder.pid}-${holder.start}`), 'other\n');
    const next = claimUidRange('app', files);
    assert.equal(next.range.start, start + RANGE_SIZE);
    next.release();
  } finally {
    sleeper.kill();
  }
});
