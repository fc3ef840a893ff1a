/**
 * `undocker import` as a user runs it: bad input and options give one line and leave no file.
 */
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import { makeTar } from '../helpers/tar-builder.js';

const rootfs = join(tempDir(), 'rootfs.tar');
writeFileSync(rootfs, makeTar([{ path: 'bin/' }, { path: 'bin/app', content: 'app', mode: 0o755 }]));

test('import writes the archive and prints the image id; -o - streams it', () => {
  const dir = tempDir();
  const result = undocker(['import', rootfs, '-t', 'app:1', '--cmd', '/bin/app --serve', '-o', join(dir, 'app.tar')]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout.toString(), /^sha256:[0-9a-f]{64}\n$/);
  assert.deepEqual(readdirSync(dir), ['app.tar']);
  const config = JSON.parse(undocker(['config', join(dir, 'app.tar'), '--json']).stdout.toString()) as {
    Cmd: string[];
  };
  assert.deepEqual(config.Cmd, ['/bin/sh', '-c', '/bin/app --serve']);
  const streamed = undocker(['import', rootfs, '-t', 'app:1', '-o', '-'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(streamed.status, 0, streamed.stderr);
  assert.equal(undocker(['list', '-'], { input: streamed.stdout }).stdout.toString(), 'app: 1\n');
});

test('bad input and options: one line, the right status, and no output file', () => {
  const dir = tempDir();
  const junk = join(dir, 'junk.tar');
  writeFileSync(junk, Buffer.alloc(2048, 'x'));
  const cases: Array<[string[], number, RegExp]> = [
    [['import', junk, '-t', 'a:1', '-o', join(dir, 'out.tar')], 1, /junk\.tar/],
    [['import', rootfs, '--expose', '80/http', '-o', join(dir, 'out.tar')], 2, /--expose 80\/http: use PORT/],
    [
      ['import', rootfs, '--entrypoint', '["/app",', '-o', join(dir, 'out.tar')],
      2,
      /--entrypoint \["\/app",: not a JSON array/,
    ],
    [['import', rootfs, '-t', 'Bad:Name', '-o', join(dir, 'out.tar')], 2, /-t Bad:Name: not a valid image name/],
    [['import', rootfs, '--owner', 'root', '-o', join(dir, 'out.tar')], 2, /--owner root: use UID:GID/],
    [['import', rootfs, '--format', 'zip', '-o', join(dir, 'out.tar')], 2, /--format zip: use docker or oci/],
    [['import', rootfs], 2, /name the archive to write with -o/],
    [['import', join(dir, 'missing'), '-o', join(dir, 'out.tar')], 1, /missing: no such file or directory/],
    [['import', rootfs, '--base', join(dir, 'missing.tar'), '-o', join(dir, 'out.tar')], 1, /missing\.tar/],
  ];
  for (const [args, status, message] of cases) {
    const result = undocker(args);
    assert.equal(result.status, status, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }
  assert.deepEqual(readdirSync(dir), ['junk.tar'], 'nothing half-written');
});
