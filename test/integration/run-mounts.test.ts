/**
 * What a warm `run` of a multi-layer image mounts: the image's layers once to read it (users,
 * groups, volumes' contents), and the container's own overlay. The create hands its view of the
 * image to the start, which used to mount the layers a second time. The view's mounts are counted
 * through a stand-in `unshare` first on PATH, which logs each call and runs the real one; the
 * container's overlay is overlay-exec's, which the build compiled.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { overlayExecProgram } from '../../src/host/c-helpers.js';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import { showImageLayers } from '../helpers/show-image.js';

const realUnshare = spawnSync('sh', ['-c', 'command -v unshare'], { encoding: 'utf8' }).stdout.trim();
const skip =
  process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v systemd-nspawn']).status !== 0 || !realUnshare
    ? 'needs root, systemd-nspawn and unshare'
    : false;

test('a warm run of a multi-layer image mounts its layers once before the container', { skip }, () => {
  const work = tempDir('undocker-run-mounts-');
  const log = join(work, 'unshare.log');
  const wrappers = join(work, 'bin');
  mkdirSync(wrappers);
  writeFileSync(join(wrappers, 'unshare'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realUnshare}' "$@"\n`);
  chmodSync(join(wrappers, 'unshare'), 0o755);
  const image = writeDockerSave([
    {
      layers: [showImageLayers(), [{ path: 'srv/' }, { path: 'srv/top', content: 'from the top layer\n' }]],
      tags: ['layers:1'],
      config: { Entrypoint: ['/bin/cat'], Cmd: ['/srv/top'] },
    },
  ]);
  const env = { UNDOCKER_CACHE: join(work, 'cache'), PATH: `${wrappers}:${process.env.PATH ?? ''}` };
  try {
    // The first run unpacks the layers (one mount each for the upper one) and caches them.
    for (const round of ['cold', 'warm']) {
      rmSync(log, { force: true });
      const result = undocker(['run', '--rm', '-q', image], { env });
      assert.equal(result.status, 0, `${round}: ${result.stderr}`);
      assert.equal(result.stdout.toString(), 'from the top layer\n', round);
    }
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    // One holds the image's view (lowerdir only); overlay-exec mounts the container's overlay and runs it.
    assert.equal(calls.length, 1, calls.join('\n'));
    assert.doesNotMatch(calls[0] ?? '', /upperdir=/);
    assert.ok(overlayExecProgram(), 'the build compiled overlay-exec');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
