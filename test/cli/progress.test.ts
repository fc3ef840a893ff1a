import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { UNDOCKER, undocker } from '../helpers/cli.js';

const IMAGE = (): string =>
  writeDockerSave([
    { layers: [[{ path: 'a', content: Buffer.alloc(200_000, 1) }], [{ path: 'b', content: 'b' }]], tags: ['p:1'] },
  ]);

/**
 * onTerminal runs the CLI with standard error on a pseudo-terminal (util-linux script), returning what the terminal
 * showed.
 */
function onTerminal(args: string[]): string {
  const command = [UNDOCKER, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  }).stdout;
}

test('a flatten on a terminal shows one progress line: layers, bytes, rate', () => {
  const shown = onTerminal(['rootfs', IMAGE(), '-C', join(tempDir(), 'out')]);
  assert.match(shown, /flattening .*: 2\/2 layers, 200kB, [\d.]+[kMG]?B\/s\r?\n$/);
});

test('no progress line with --quiet, off a terminal, or when the tar goes to standard output', () => {
  const out = join(tempDir(), 'out');
  assert.doesNotMatch(onTerminal(['rootfs', '--quiet', IMAGE(), '-C', out]), /flattening|undocker:/);
  assert.deepEqual(readdirSync(out).sort(), ['a', 'b'], 'the quiet run did its work');
  const piped = undocker(['rootfs', IMAGE(), join(tempDir(), 'out.tar')]);
  assert.equal(piped.status, 0);
  assert.equal(piped.stderr, '');
});
