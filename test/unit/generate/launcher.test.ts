import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunSpec } from '../../../src/config/run-spec.js';
import { LAUNCHER_SHELL, renderLauncher, toEnvArgv, toShellWord } from '../../../src/generate/launcher.js';
import { tempDir } from '../../helpers/archives.js';

/** Words no config format holds all of: both quotes, newlines, a carriage return, tabs, $, backslashes, nothing. */
const WORDS = [`it's "both"`, 'new\nline', 'cr\rhere', 'tab\t$HOME\\', '', ' lead ', "'", `''"`, '%s', '--', '\\'];

const SPEC: RunSpec = {
  image: 'words:1',
  argv: ['/usr/bin/printf', '[%s]\\n', ...WORDS],
  env: [
    ['PATH', '/usr/bin:/bin'],
    ['V_NL', 'a\nb'],
    ['V.DOT', 'dotted'],
    ['-dash', `it's "q"`],
    ['EMPTY', ''],
  ],
  workingDir: '/',
  user: { spec: 'root', uid: 0, gid: 0, name: 'root', groups: [0], home: '/root' },
  ports: [],
  volumes: [],
  stopSignal: 'SIGTERM',
  hostname: 'h',
  architecture: 'amd64',
};

const work = tempDir('undocker-launcher-');
after(() => rmSync(work, { recursive: true, force: true }));
const hostTools = existsSync('/bin/busybox') && existsSync('/usr/bin/setpriv');

/** runLauncher runs the script with the host's busybox standing in for the container's. */
function runLauncher(spec: RunSpec): { status: number | null; stdout: string } {
  const script = join(work, 'launch');
  const text = renderLauncher(spec, ['/usr/bin/setpriv', '--'], 'test').replaceAll(LAUNCHER_SHELL, '/bin/busybox');
  writeFileSync(script, text, { mode: 0o755 });
  const result = spawnSync(script, { encoding: 'utf8', env: { RUNTIME_OWN: 'x', TERM: 'vt100' } });
  return { status: result.status, stdout: result.stdout };
}

test('toShellWord quotes every byte but NUL for sh, a single quote included', () => {
  assert.equal(toShellWord(`it's`), `'it'\\''s'`);
  assert.equal(toShellWord(''), `''`);
  assert.equal(toShellWord('a\nb'), `'a\nb'`);
});

test('the launcher runs the command with every byte of its arguments', { skip: !hostTools && 'needs busybox' }, () => {
  const result = runLauncher(SPEC);
  assert.equal(result.status, 0);
  assert.equal(result.stdout, WORDS.map((word) => `[${word}]\n`).join(''));
});

test(
  "the launcher's environment is the spec's, in order, and nothing of the runtime's or sh's",
  {
    skip: !hostTools && 'needs busybox',
  },
  () => {
    const result = runLauncher({ ...SPEC, argv: ['env', '-0'] });
    assert.equal(result.status, 0);
    assert.deepEqual(
      result.stdout.split('\0').slice(0, -1),
      SPEC.env.map(([name, value]) => `${name}=${value}`),
    );
  },
);

test('toEnvArgv adds TERM=xterm after HOSTNAME for a terminal, as docker run -t does', () => {
  const env: Array<[string, string]> = [
    ['PATH', '/bin'],
    ['HOSTNAME', 'h'],
    ['A', '1'],
  ];
  assert.deepEqual(toEnvArgv(env).slice(4), ['PATH=/bin', 'HOSTNAME=h', 'A=1']);
  assert.deepEqual(toEnvArgv(env, true).slice(4), ['PATH=/bin', 'HOSTNAME=h', 'TERM=xterm', 'A=1']);
  assert.deepEqual(toEnvArgv([...env, ['TERM', 'dumb']], true).slice(4), [
    'PATH=/bin',
    'HOSTNAME=h',
    'A=1',
    'TERM=dumb',
  ]);
});
