/**
 * What a warm `run` of a multi-layer image mounts: the image's layers once to read it (users,
 * groups, volumes' contents), and the container's own overlay. The create hands its view of the
 * image to the start, which used to mount the layers a second time. overlay-exec mounts both and
 * runs what holds each: `cat` for the view, the runtime for the container. They are counted
 * through stand-ins first on PATH, which log each call and run the real program.
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

const skip =
  process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v systemd-nspawn']).status !== 0
    ? 'needs root and systemd-nspawn'
    : false;

test('a warm run of a multi-layer image mounts its layers once before the container', { skip }, () => {
  const work = tempDir('undocker-run-mounts-');
  const log = join(work, 'calls.log');
  const wrappers = join(work, 'bin');
  mkdirSync(wrappers);
  for (const program of ['unshare', 'cat', 'systemd-nspawn']) {
    const real = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(wrappers, program), `#!/bin/sh\necho "${program}" >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(join(wrappers, program), 0o755);
  }
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
    assert.ok(overlayExecProgram(), 'the build compiled overlay-exec');
    // One cat holds the image's view; the runtime runs on the container's overlay.
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n').sort(), ['cat', 'systemd-nspawn']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
