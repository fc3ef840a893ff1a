/**
 * The overlay-exec helper (src/host/overlay-exec.c, compiled by the build), run as undocker runs
 * it: fd 3 is where it reports, and the rest of its command line is the runtime.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { overlayExecProgram } from '../../../src/host/c-helpers.js';
import { tempDir } from '../../helpers/archives.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const work = tempDir('undocker-overlay-exec-');
after(() => rmSync(work, { recursive: true, force: true }));

/** overlayExec runs the helper with `args` from folder `cwd`; fd 3 is a file read back as `report`. */
function overlayExec(args: string[], cwd = work): { status: number | null; stdout: string; report: string } {
  const report = join(work, 'report');
  writeFileSync(report, '');
  const fd = openSync(report, 'w');
  try {
    const program = overlayExecProgram();
    assert.ok(program, 'the build compiled overlay-exec');
    const result = spawnSync(program, ['3', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit', fd],
    });
    return { status: result.status, stdout: result.stdout, report: readFileSync(report, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

test('the command sees the overlay, from the caller folder, without fd 3; the host never sees it', { skip }, () => {
  const dir = join(work, 'stack');
  for (const part of ['layers/a', 'layers/b', 'upper', 'work', 'merged', 'here'])
    mkdirSync(join(dir, part), { recursive: true });
  writeFileSync(join(dir, 'layers/a/low'), 'a');
  writeFileSync(join(dir, 'layers/b/low'), 'b');
  const merged = join(dir, 'merged');
  // Shared, as systemd makes every mount: a mount under it would show on the host too, but for
  // the helper's private namespace.
  assert.equal(spawnSync('mount', ['--bind', '--make-shared', dir, dir]).status, 0);
  after(() => spawnSync('umount', ['--recursive', dir]));
  // Relative to DIR, as undocker gives them; b is above a.
  const options = 'lowerdir=layers/b:layers/a,upperdir=upper,workdir=work';
  const script = `cat ${merged}/low; echo new > ${merged}/made; pwd; test -e /proc/self/fd/3 && echo fd3 open; true`;
  const result = overlayExec([dir, options, merged, '--', 'sh', '-c', script], join(dir, 'here'));
  assert.equal(result.report, '');
  assert.equal(result.status, 0);
  assert.equal(result.stdout, `b${join(dir, 'here')}\n`);
  assert.equal(readFileSync(join(dir, 'upper/made'), 'utf8'), 'new\n', 'writes land in the upper folder');
  assert.equal(spawnSync('findmnt', [merged]).status, 1, 'nothing is left mounted');
});

test('what it cannot do is one line on the report fd and status 1, and the command never runs', { skip }, () => {
  const merged = join(work, 'merged');
  mkdirSync(merged, { recursive: true });
  const cases: Array<[string[], RegExp]> = [
    [
      [work, 'lowerdir=no-such-lower,upperdir=u,workdir=w', merged, '--', 'echo', 'ran'],
      /^mount: cannot mount the overlay at \S+merged: No such file or directory\n$/,
    ],
    [[join(work, 'none'), 'lowerdir=x', merged, '--', 'echo', 'ran'], /^cannot enter \S+none: No such file/],
    [[work, 'lowerdir=x', merged, 'echo', 'ran'], /^usage: overlay-exec REPORT_FD DIR OPTIONS TARGET -- PROGRAM/],
  ];
  for (const [args, message] of cases) {
    const result = overlayExec(args);
    assert.equal(result.status, 1, args.join(' '));
    assert.equal(result.stdout, '', 'the command did not run');
    assert.equal(result.report.split('\n').length, 2, `one line: ${result.report}`);
    assert.match(result.report, message);
  }
});
