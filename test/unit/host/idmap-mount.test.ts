/**
 * The idmap-mount helper (src/host/idmap-mount.c, compiled by the build), run as undocker runs it:
 * in a mount namespace of its own, then exec'ing the rest of its command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { idmapMountProgram } from '../../../src/host/c-helpers.js';
import { tempDir, writeDockerSave } from '../../helpers/archives.js';
import { undocker } from '../../helpers/cli.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const work = tempDir('undocker-idmap-mount-');
after(() => rmSync(work, { recursive: true, force: true }));

/** inNamespace runs the helper with `args` in a private mount namespace; fd 3 is where it reports. */
function inNamespace(args: string[]): { status: number | null; stdout: string; report: string } {
  const script = 'exec 3>"$1"; shift; exec "$@"';
  const report = join(work, 'report');
  writeFileSync(report, '');
  const result = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', report, idmapMountProgram(), '3', ...args],
    { encoding: 'utf8' },
  );
  return { status: result.status, stdout: result.stdout, report: readFileSync(report, 'utf8') };
}

test('the build compiled it', () => {
  assert.match(idmapMountProgram(), /dist\/src\/host\/idmap-mount$/);
});

test('a folder idmapped to START shows owner n as START + n, and what is made through it lands as n', { skip }, () => {
  const dir = join(work, 'tree');
  mkdirSync(dir);
  writeFileSync(join(dir, 'file'), 'x');
  chownSync(join(dir, 'file'), 5, 7);
  const made = join(dir, 'made');
  // Host uid 100000 + 9 writes through the mount: on disk it is 9.
  const write = `stat -c '%u:%g' ${dir}/file && setpriv --reuid=100009 --regid=100009 --clear-groups touch ${made}`;
  // Its own folder on disk is 9's, so 100009 may write in it; the temporary folder above lets it pass.
  chownSync(dir, 9, 9);
  chmodSync(work, 0o711);
  const result = inNamespace(['100000', '65536', dir, dir, '--', 'sh', '-c', write]);
  assert.equal(result.report, '');
  assert.equal(result.status, 0, result.report);
  assert.equal(result.stdout, '100005:100007\n');
  assert.equal(spawnSync('stat', ['-c', '%u:%g', made], { encoding: 'utf8' }).stdout, '9:9\n');
  assert.equal(spawnSync('stat', ['-c', '%u:%g', join(dir, 'file')], { encoding: 'utf8' }).stdout, '5:7\n');
});

test('what it cannot do is one line on the report fd and status 1, and the command never runs', { skip }, () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['100000', '65536', '/proc', join(work, 'x'), '--', 'echo', 'ran'],
      /^the file system of \/proc cannot be idmapped/,
    ],
    [
      ['100000', '65536', join(work, 'none'), join(work, 'x'), '--', 'echo', 'ran'],
      /^cannot open .*none: No such file/,
    ],
    [['0', '65536', work, work, '--', 'echo', 'ran'], /^START 0 is not a positive id\n$/],
    [['100000', '65536', work, '--', 'echo', 'ran'], /^usage: idmap-mount REPORT_FD START COUNT SOURCE TARGET/],
  ];
  for (const [args, message] of cases) {
    const result = inNamespace(args);
    assert.equal(result.status, 1, args.join(' '));
    assert.equal(result.stdout, '', 'the command did not run');
    assert.equal(result.report.split('\n').length, 2, `one line: ${result.report}`);
    assert.match(result.report, message);
  }
});

test(
  'undocker run --userns auto on a cache that cannot be idmapped (overlayfs) fails with one line and 125',
  { skip },
  () => {
    const dir = join(work, 'overlay');
    for (const part of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, part), { recursive: true });
    const merged = join(dir, 'merged');
    const options = `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`;
    assert.equal(spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', options, merged]).status, 0);
    try {
      const image = writeDockerSave([
        {
          layers: [[{ path: 'bin/' }, { path: 'bin/true', content: readFileSync('/bin/busybox'), mode: 0o755 }]],
          tags: ['true:1'],
          config: { Cmd: ['/bin/true'] },
        },
      ]);
      const env = { UNDOCKER_CACHE: join(merged, 'cache') };
      const result = undocker(['run', '--rm', '-q', '--userns', 'auto', image], { env });
      assert.equal(result.status, 125);
      assert.match(
        result.stderr,
        /^undocker: cannot mount the overlay for container \S+: the file system of \S+ cannot be idmapped: keep UNDOCKER_CACHE on ext4, xfs or btrfs\n$/,
      );
    } finally {
      spawnSync('umount', [merged]);
    }
  },
);
