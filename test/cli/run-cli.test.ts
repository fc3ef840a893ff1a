/**
 * The run, cache and install commands' argument handling, as a user meets it; what needs root
 * and real runtimes is in test/integration/run.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';

const env = { UNDOCKER_CACHE: join(tempDir(), 'cache') };
const image = writeDockerSave([{ layers: [[{ path: 'x', content: 'x' }]], tags: ['one:1'], config: { Cmd: ['/x'] } }]);

test("run: wrong arguments exit 125, docker run's status for a run that never started, with one line", () => {
  for (const args of [
    ['--bogus', image],
    ['--keep', image],
    ['--rm', '--restart', 'always', image],
    ['--restart', 'sometimes', image],
    ['--log-opt', 'max-size=big', image],
    ['-d', '-t', image],
    ['-P', image],
    ['-p', '80', image],
    ['--network', 'bridge', image],
    ['--runtime', 'docker', image],
    ['-v', './rel:/x', image],
    ['-v', 'rel', image],
    ['--name', 'bad_name', image],
    ['--name', '-x', image],
    ['--stop-timeout', 'soon', image],
    [],
  ]) {
    const result = undocker(['run', ...args], { env });
    assert.equal(result.status, 125, `run ${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^undocker: /, args.join(' '));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.match(
    undocker(['run', '--keep', image], { env }).stderr,
    /--keep is gone: containers now stay after they exit/,
  );
  assert.match(undocker(['run', '-p', '80', image], { env }).stderr, /-p needs --network veth/);
});

test('run: flags are checked before the image is opened or pulled', () => {
  const missing = join(tempDir(), 'missing.tar');
  for (const [args, message] of [
    [['--runtime', 'foo'], /--runtime <runtime>' argument 'foo' is invalid\. Allowed choices are nspawn, lxc/],
    [['--network', 'bridge'], /Allowed choices are host, none, veth/],
    [['--stop-timeout', '1.5'], /--stop-timeout <seconds>' argument '1\.5' is invalid\. Give whole seconds/],
    [['--rm', '--restart', 'always'], /conflicting options: --restart and --rm/],
    [
      ['--restart', 'on-failure:x'],
      /'--restart <policy>' argument 'on-failure:x' is invalid\. Use no, on-failure\[:N\]/,
    ],
    [['--log-opt', 'max-file=3'], /--log-opt max-file needs max-size/],
    [['--log-opt', 'mode=non-blocking'], /--log-opt mode=non-blocking: undocker's json-file log takes max-size/],
    [['-d', '-i'], /-d with -i or -t: undocker does not attach to a detached container/],
    [['-P'], /-P needs --network veth/],
    [['-p', '80'], /-p needs --network veth/],
    [['-v', './rel:/x'], /-v \.\/rel:\/x: invalid volume name "\.\/rel"/],
    [['-v', 'rel'], /-v rel: use \/HOST:\/CONTAINER\[:ro\], VOLUME:\/CONTAINER\[:ro\], or \/CONTAINER/],
    [['--stop-signal', 'NOPE'], /--stop-signal <signal>' argument 'NOPE' is invalid\. Give a signal name/],
    [['--tmpfs', 'rel'], /--tmpfs rel: use PATH\[:OPTIONS\]/],
    [['--ulimit', 'files=1'], /--ulimit files=1: use NAME=SOFT\[:HARD\]/],
    [['--security-opt', 'label=disable'], /--security-opt label=disable: use no-new-privileges/],
    [['--cap-drop', 'FLY'], /--cap-drop FLY: unknown capability/],
  ] as const) {
    const result = undocker(['run', ...args, missing], { env });
    assert.equal(result.status, 125, result.stderr);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /no such file/, `${args.join(' ')}: the flag is refused first`);
  }
});

test('images, rmi, prune and the container and volume commands on an empty cache', () => {
  const images = undocker(['images'], { env });
  assert.equal(images.status, 0, images.stderr);
  assert.equal(images.stdout.toString(), 'IMAGE  DIGEST  SIZE  SHARED  UNIQUE  LAYERS  LAST USED\n');
  assert.equal(
    undocker(['system', 'df'], { env }).stdout.toString(),
    [
      'TYPE           TOTAL  ACTIVE  SIZE  RECLAIMABLE',
      'Images         0      0       0B    0B (0%)',
      'Containers     0      0       0B    0B (0%)',
      'Local Volumes  0      0       0B    0B (0%)',
      '',
    ].join('\n'),
  );
  assert.equal(undocker(['images', '--json'], { env }).stdout.toString(), '[]\n');
  const rmi = undocker(['rmi', 'one:1'], { env });
  assert.equal(rmi.status, 1);
  assert.equal(rmi.stderr, 'undocker: no cached image one:1: undocker images lists them\n');
  const rm = undocker(['rm', 'nobody'], { env });
  assert.equal(rm.status, 1);
  assert.equal(rm.stderr, 'undocker: no such container: nobody\n');
  for (const verb of [['start'], ['stop'], ['kill'], ['restart'], ['wait'], ['logs'], ['inspect'], ['exec']]) {
    const result = undocker([...verb, 'nobody', ...(verb[0] === 'exec' ? ['true'] : [])], { env });
    assert.equal(result.status, 1, `${verb[0]}: ${result.stderr}`);
    assert.equal(result.stderr, 'undocker: no such container: nobody\n', verb[0]);
  }
  assert.equal(
    undocker(['ps', '-a'], { env }).stdout.toString(),
    'CONTAINER ID  IMAGE  COMMAND  CREATED  STATUS  PORTS  NAMES  RUNTIME\n',
  );
  assert.equal(undocker(['volume', 'ls', '-q'], { env }).stdout.toString(), '');
  for (const [args, message] of [
    [['kill', '-s', 'NOPE', 'x'], /'-s, --signal <signal>' argument 'NOPE' is invalid\. Give a signal name or number/],
    [['stop', '-t', '1.5', 'x'], /'-t, --time <seconds>' argument '1\.5' is invalid\. Give whole seconds/],
  ] as const) {
    const result = undocker([...args], { env });
    assert.equal(result.status, 2, args.join(' '));
    assert.match(result.stderr, message);
  }
  const volume = undocker(['volume', 'rm', 'none'], { env });
  assert.equal(volume.status, 1);
  assert.equal(volume.stderr, 'undocker: no such volume: none\n');
  const prune = undocker(['prune'], { env });
  assert.equal(prune.status, 0);
  assert.equal(prune.stdout.toString(), '');
});

test('install and uninstall: wrong arguments and unknown names', () => {
  const dir = tempDir();
  const places = ['--machines-dir', join(dir, 'm'), '--nspawn-dir', join(dir, 'n'), '--lxcpath', join(dir, 'l')];
  assert.equal(undocker(['install', image, '--runtime', 'docker', ...places]).status, 2);
  assert.equal(undocker(['install', image, '--network', 'bridge', ...places]).status, 2);
  assert.equal(undocker(['install', image, '--name', 'bad_name', ...places]).status, 2);
  const none = undocker(['uninstall', 'ghost', ...places]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /^undocker: uninstall: nothing named ghost was installed in /);
});

test('images and system df: layers two images share are counted once, and said to be shared', () => {
  const cache = { UNDOCKER_CACHE: join(tempDir(), 'cache') };
  const base = [[{ path: 'base', content: Buffer.alloc(300_000, 1) }]];
  const [one, two] = ['one', 'two'].map((name) =>
    writeDockerSave([
      {
        layers: [...base, [{ path: name, content: Buffer.alloc(20_000, 2) }]],
        tags: [`${name}:1`],
        config: { Cmd: ['/x'] },
      },
    ]),
  );
  for (const archive of [one, two] as string[]) {
    const made = undocker(['create', archive], { env: cache });
    assert.equal(made.status, 0, made.stderr);
  }
  const rows = undocker(['images'], { env: cache })
    .stdout.toString()
    .split('\n')
    .filter((line) => /^(one|two):1 /.test(line))
    .map((line) => line.split(/\s{2,}/));
  assert.deepEqual(rows.map(([name, , size, shared, unique, layers]) => [name, size, shared, unique, layers]).sort(), [
    ['one:1', '320kB', '300kB', '20.0kB', '2'],
    ['two:1', '320kB', '300kB', '20.0kB', '2'],
  ]);
  const df = undocker(['system', 'df', '--json'], { env: cache });
  const [images, containers] = JSON.parse(df.stdout.toString()) as Array<Record<string, number | string>>;
  assert.deepEqual(images, { Type: 'Images', Total: 2, Active: 2, Size: 340_000, Reclaimable: 0 });
  assert.deepEqual(containers, { Type: 'Containers', Total: 2, Active: 0, Size: 0, Reclaimable: 0 });
});
