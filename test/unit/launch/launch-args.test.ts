import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSpec } from '../../../src/config/run-spec.js';
import { toLxcExecuteArgv, toLxcRunConfig } from '../../../src/launch/lxc-run-config.js';
import { toNspawnArgv } from '../../../src/launch/nspawn-argv.js';
import { parseBindMount, parsePublish, type RunRequest } from '../../../src/launch/run-request.js';

const SPEC: RunSpec = {
  image: 'web:1',
  argv: ['/srv/web', 'two words', '--', '$HOME'],
  env: [
    ['PATH', '/bin'],
    ['Q', `it's "q"`],
  ],
  workingDir: '/srv',
  user: { spec: 'web', uid: 33, gid: 33, name: 'web', additionalGids: [4], home: '/var/www' },
  ports: [],
  volumes: [],
  stopSignal: 'SIGQUIT',
  hostname: 'web-1',
  architecture: 'amd64',
};

const REQUEST: RunRequest = {
  runtime: 'nspawn',
  network: 'host',
  volumes: [],
  publish: [],
  tty: false,
  interactive: false,
  readOnly: false,
  name: 'web-1',
  stopTimeout: 10,
};

test('-v takes HOST:CONTAINER[:ro|rw] with absolute paths; anything else is a usage error', () => {
  assert.deepEqual(parseBindMount('/srv/data:/data'), { host: '/srv/data', container: '/data', readOnly: false });
  assert.deepEqual(parseBindMount('/srv/data:/data:ro'), { host: '/srv/data', container: '/data', readOnly: true });
  for (const bad of ['data:/data', '/a', '/a:b', '/a:/b:rx', '/a:/b:ro:x'])
    assert.throws(() => parseBindMount(bad), { code: 'UNDOCKER_USAGE' }, bad);
});

test('-p takes [HOST:]CONTAINER[/tcp|udp] with ports 1 to 65535', () => {
  assert.deepEqual(parsePublish('8080:80'), { host: 8080, container: 80, protocol: 'tcp' });
  assert.deepEqual(parsePublish('53/udp'), { host: 53, container: 53, protocol: 'udp' });
  for (const bad of ['0:80', '80:70000', 'x', '80/sctp', '1.2.3.4:80:80'])
    assert.throws(() => parsePublish(bad), { code: 'UNDOCKER_USAGE' }, bad);
});

test('nspawn argv: every value is its own argument and the command follows --, whole', () => {
  const args = toNspawnArgv(SPEC, '/cache/merged', REQUEST);
  assert.deepEqual(args.slice(args.indexOf('--') + 1), ['/srv/web', 'two words', '--', '$HOME']);
  for (const expected of [
    '--directory=/cache/merged',
    '--machine=web-1',
    '--hostname=web-1',
    '--chdir=/srv',
    '--kill-signal=SIGQUIT',
    '--user=web',
    '--setenv=Q=it\'s "q"',
    '--console=pipe',
    '--register=no',
  ]) {
    assert.ok(args.includes(expected), expected);
  }
  assert.ok(!args.includes('--as-pid2'), 'the command is PID 1, so it gets the stop signal');
  assert.ok(
    !args.some((a) => a.startsWith('--private-network') || a.startsWith('--network-veth')),
    "the host's network by default",
  );
});

test('nspawn argv: root runs without --user; mounts, read-only, networks, ports and a terminal as asked', () => {
  const root = { ...SPEC, user: { ...SPEC.user, uid: 0, gid: 0, name: 'root' } };
  const args = toNspawnArgv(root, '/m', {
    ...REQUEST,
    network: 'veth',
    readOnly: true,
    tty: true,
    interactive: true,
    volumes: [
      { host: '/h', container: '/c', readOnly: false },
      { host: '/r', container: '/ro', readOnly: true },
    ],
    publish: [{ host: 8080, container: 80, protocol: 'tcp' }],
  });
  assert.ok(!args.some((a) => a.startsWith('--user')));
  for (const expected of [
    '--bind=/h:/c',
    '--bind-ro=/r:/ro',
    '--read-only',
    '--network-veth',
    '--port=tcp:8080:80',
    '--console=interactive',
  ])
    assert.ok(args.includes(expected), expected);
  assert.ok(toNspawnArgv(SPEC, '/m', { ...REQUEST, network: 'none' }).includes('--private-network'));
  assert.ok(
    toNspawnArgv(SPEC, '/m', { ...REQUEST, tty: true }).includes('--console=read-only'),
    '-t without -i: a terminal, no input',
  );
});

test('lxc-execute: ids and the command on its own command line, the rest in the config', () => {
  assert.deepEqual(toLxcExecuteArgv(SPEC, { ...REQUEST, runtime: 'lxc' }, '/p', '/p/lxc.conf'), [
    '-P',
    '/p',
    '-n',
    'web-1',
    '-f',
    '/p/lxc.conf',
    '-u',
    '33',
    '-g',
    '33',
    '--',
    '/srv/web',
    'two words',
    '--',
    '$HOME',
  ]);
  const config = toLxcRunConfig(
    SPEC,
    '/cache/merged',
    { ...REQUEST, runtime: 'lxc', volumes: [{ host: '/h', container: '/c/d', readOnly: true }] },
    '/usr/share/lxc/config',
  );
  for (const line of [
    'lxc.rootfs.path = dir:/cache/merged',
    'lxc.include = /usr/share/lxc/config/common.conf',
    `lxc.environment = Q=it's "q"`,
    'lxc.init.cwd = /srv',
    'lxc.init.groups = 4',
    'lxc.signal.stop = SIGQUIT',
    'lxc.uts.name = web-1',
    'lxc.net.0.type = none',
    'lxc.mount.entry = /h c/d none bind,create=dir,ro 0 0',
  ]) {
    assert.ok(config.split('\n').includes(line), line);
  }
});

test('lxc: what its config cannot hold is refused, naming it', () => {
  const lxc = { ...REQUEST, runtime: 'lxc' as const };
  assert.throws(
    () => toLxcRunConfig(SPEC, '/m', { ...lxc, volumes: [{ host: '/a b', container: '/c', readOnly: false }] }, '/x'),
    /-v: "\/a b": an LXC mount entry cannot hold whitespace/,
  );
  assert.throws(
    () =>
      toLxcRunConfig(
        SPEC,
        '/m',
        { ...lxc, network: 'veth', publish: [{ host: 1, container: 1, protocol: 'tcp' }] },
        '/x',
      ),
    /-p: LXC has no port publishing/,
  );
  assert.throws(() => toLxcRunConfig({ ...SPEC, env: [['X', 'a\nb']] }, '/m', lxc, '/x'), /environment variable X/);
});
