/**
 * bin/undocker.cjs runs the CLI bundle when it is fresh, and the compiled modules when tsc has
 * run since the bundle was made. Tried on a copy of the bin beside a stand-in dist/ tree
 * (helpers/bin-stand-in.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.js';
import { commandsFor } from '../../src/cli/program.js';
import { standIn } from '../helpers/bin-stand-in.js';
import { UNDOCKER } from '../helpers/cli.js';

function ran(root: string, args = ['ps', '-a']): string {
  const bin = join(root, 'bin', 'undocker.cjs');
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

test('the bin runs the bundle when it is newer than the compiled modules', () => {
  const { root, cli } = standIn();
  try {
    utimesSync(join(cli, 'main.js'), 1000, 1000);
    assert.equal(ran(root), 'bundle main.bundle.cjs ps -a');
    // A cache made for another bundle or node is garbage to V8: refused, the bundle still runs,
    // and the cache is made again for this one.
    writeFileSync(join(cli, 'main.bundle.cjs.cache'), 'not a code cache');
    // A node with flags (one the user runs by hand) leaves it alone: the two would take turns.
    const flagged = spawnSync(process.execPath, ['--max-semi-space-size=4', join(root, 'bin', 'undocker.cjs'), 'ps'], {
      encoding: 'utf8',
    });
    assert.equal(flagged.stdout, 'bundle main.bundle.cjs ps');
    assert.equal(readFileSync(join(cli, 'main.bundle.cjs.cache'), 'utf8'), 'not a code cache');
    assert.equal(ran(root), 'bundle main.bundle.cjs ps -a');
    const remade = readFileSync(join(cli, 'main.bundle.cjs.cache'));
    assert.notEqual(remade.toString('latin1'), 'not a code cache');
    const check = `const { Script } = require('node:vm'); const { readFileSync } = require('node:fs');
      const cachedData = readFileSync(process.argv[2]);
      const script = new Script(readFileSync(process.argv[1], 'utf8'), { cachedData });
      process.stdout.write(String(script.cachedDataRejected));`;
    const taken = spawnSync(
      process.execPath,
      ['-e', check, join(cli, 'main.bundle.cjs'), join(cli, 'main.bundle.cjs.cache')],
      { encoding: 'utf8' },
    );
    assert.equal(taken.stdout, 'false', `V8 takes the new one, under the bin's flags: ${taken.stderr}`);
    assert.deepEqual(readdirSync(cli).sort(), [
      'main.bundle.cjs',
      'main.bundle.cjs.cache',
      'main.js',
      'run-main.bundle.cjs',
      'run-main.js',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the bin runs the bundle of `run` alone for a run, and the whole CLI for anything else', () => {
  const { root, cli } = standIn();
  try {
    assert.equal(ran(root, ['run', '--rm', 'x.tar']), 'bundle run-main.bundle.cjs run --rm x.tar');
    assert.equal(ran(root, ['ps', 'run']), 'bundle main.bundle.cjs ps run');
    // Without its bundle, or with a stale one, a run starts from the compiled modules, as any command does.
    utimesSync(join(cli, 'run-main.bundle.cjs'), 1000, 1000);
    assert.equal(ran(root, ['run', 'x.tar']), 'modules run x.tar');
    rmSync(join(cli, 'run-main.bundle.cjs'));
    assert.equal(ran(root, ['run', 'x.tar']), 'modules run x.tar');
    assert.equal(ran(root), 'bundle main.bundle.cjs ps -a');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the bin runs the compiled modules when tsc has run since the bundle was made, or there is none', () => {
  const { root, cli } = standIn();
  try {
    utimesSync(join(cli, 'main.bundle.cjs'), 1000, 1000);
    assert.equal(ran(root), 'modules ps -a');
    rmSync(join(cli, 'main.bundle.cjs'));
    assert.equal(ran(root), 'modules ps -a');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the bin's first line gives node no V8 flag, under which V8 would refuse Node's code cache of its modules", () => {
  const [first] = readFileSync(UNDOCKER, 'utf8').split('\n');
  assert.match(first ?? '', /^#!\/usr\/bin\/env -S .* node$/);
});

test("node runs with one malloc arena; what it starts gets the user's MALLOC_ARENA_MAX back, or none", () => {
  const { root, bin } = standIn(
    "const initial = require('node:fs').readFileSync('/proc/self/environ', 'latin1').split('\\0')" +
      ".find((entry) => entry.startsWith('MALLOC_ARENA_MAX='));" +
      'const { MALLOC_ARENA_MAX = null, UNDOCKER_MALLOC_ARENA_MAX = null } = process.env;' +
      'process.stdout.write(JSON.stringify({ initial, MALLOC_ARENA_MAX, UNDOCKER_MALLOC_ARENA_MAX }));',
  );
  try {
    const seen = (arenas?: string): unknown => {
      const { MALLOC_ARENA_MAX: _mine, ...env } = process.env;
      const result = spawnSync(bin, ['ps'], {
        encoding: 'utf8',
        env: arenas === undefined ? env : { ...env, MALLOC_ARENA_MAX: arenas },
      });
      assert.equal(result.status, 0, result.stderr);
      return JSON.parse(result.stdout);
    };
    const one = 'MALLOC_ARENA_MAX=1';
    assert.deepEqual(seen(), { initial: one, MALLOC_ARENA_MAX: null, UNDOCKER_MALLOC_ARENA_MAX: null });
    assert.deepEqual(seen('7'), { initial: one, MALLOC_ARENA_MAX: '7', UNDOCKER_MALLOC_ARENA_MAX: null });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the bin says in one line when nothing is built', () => {
  const { root, cli } = standIn();
  try {
    rmSync(cli, { recursive: true });
    const result = spawnSync(process.execPath, [join(root, 'bin', 'undocker.cjs'), 'ps'], { encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^undocker: cannot start: .*main\.js.* \(run npm run build\)\n$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('this checkout runs its bundles, so the CLI and container tests try what users run', () => {
  const src = join(dirname(UNDOCKER), '..', 'dist', 'src');
  const modified = (path: string): number => statSync(join(src, path)).mtimeMs;
  for (const entry of ['main', 'run-main']) {
    assert.ok(modified(`cli/${entry}.bundle.cjs`) >= modified(`cli/${entry}.js`));
    assert.ok(modified(`cli/${entry}.bundle.cjs.cache`) >= modified(`cli/${entry}.bundle.cjs`));
    // Strict, as the modules were: the directive opens the bundle's body.
    assert.match(
      readFileSync(join(src, `cli/${entry}.bundle.cjs`), 'utf8'),
      /^\(function \(require, __filename\) \{\n'use strict';/,
    );
    // The bin reads the CLI bundles as latin1, which is exact for ASCII alone.
    assert.equal(
      readFileSync(join(src, `cli/${entry}.bundle.cjs`)).findIndex((byte) => byte > 0x7f),
      -1,
    );
  }
  // The bundle of a run holds no other command: none of execa, which only other commands use.
  const runBundle = readFileSync(join(src, 'cli/run-main.bundle.cjs'), 'latin1');
  assert.ok(runBundle.length < readFileSync(join(src, 'cli/main.bundle.cjs'), 'latin1').length / 2);
  assert.doesNotMatch(runBundle, /node_modules\/execa\/|registerPs|registerRootfs/);
  assert.ok(modified('container/monitor.bundle.cjs') >= modified('container/monitor.js'));
  assert.match(readFileSync(join(src, 'container/monitor.bundle.cjs'), 'utf8'), /^'use strict';/);
});

test('--version answers with the package version, loading no subcommand; a subcommand loads itself alone', () => {
  const { version } = JSON.parse(readFileSync(join(dirname(UNDOCKER), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  for (const flag of ['--version', '-V']) {
    const result = spawnSync(UNDOCKER, [flag], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, `${version}\n`);
  }
  assert.deepEqual(commandsFor('--version', COMMANDS), []);
  assert.deepEqual(commandsFor('ps', COMMANDS), ['ps']);
  assert.ok(
    commandsFor('--help', COMMANDS).includes('run') && commandsFor('pss', COMMANDS).includes('ps'),
    'help and suggestions see all',
  );
});
