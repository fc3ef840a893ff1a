import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_PATH, type RunOverrides, toRunSpec } from '../../../src/config/run-spec.js';
import { parseGroup, parsePasswd, type UserDb } from '../../../src/config/user-db.js';
import type { ConfigView } from '../../../src/image/config-view.js';

const DB: UserDb = {
  passwd: parsePasswd(
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n# comment\nbroken ' +
      'line\nnohome:x:1001:1001:::/bin/sh\n',
  ),
  group: parseGroup('root:x:0:\napp:x:1000:\nextra:x:1500:app,other\nwheel:x:10:app\n'),
};

function view(fields: Partial<ConfigView>): ConfigView {
  return {
    id: 'sha256:abc',
    names: ['app:latest'],
    os: 'linux',
    architecture: 'amd64',
    Entrypoint: [],
    Cmd: ['/bin/sh'],
    Env: [],
    WorkingDir: '',
    User: '',
    ExposedPorts: [],
    Volumes: [],
    StopSignal: '',
    Labels: {},
    ...fields,
  };
}

function spec(fields: Partial<ConfigView>, overrides?: RunOverrides, db: UserDb = DB) {
  const warnings: string[] = [];
  const result = toRunSpec(
    {
      view: view(fields),
      where: 'image app:latest',
      userDb: db,
      defaultHostname: 'app',
      ...(overrides ? { overrides } : {}),
    },
    (w) => warnings.push(w),
  );
  return { ...result, warnings };
}

test('argv follows Docker: Entrypoint then Cmd, either may be empty, --entrypoint drops Cmd', () => {
  const cases: Array<[string, Partial<ConfigView>, RunOverrides | undefined, string[]]> = [
    ['entrypoint and cmd', { Entrypoint: ['/e', '-x'], Cmd: ['a', 'b'] }, undefined, ['/e', '-x', 'a', 'b']],
    ['cmd only', { Cmd: ['/c', 'a'] }, undefined, ['/c', 'a']],
    ['entrypoint only', { Entrypoint: ['/e'], Cmd: [] }, undefined, ['/e']],
    ['command replaces cmd', { Entrypoint: ['/e'], Cmd: ['a'] }, { cmd: ['b'] }, ['/e', 'b']],
    ['entrypoint override drops cmd', { Entrypoint: ['/e'], Cmd: ['a'] }, { entrypoint: ['/f'] }, ['/f']],
    [
      'entrypoint override with command',
      { Entrypoint: ['/e'], Cmd: ['a'] },
      { entrypoint: ['/f'], cmd: ['c'] },
      ['/f', 'c'],
    ],
  ];
  for (const [name, fields, overrides, argv] of cases) assert.deepEqual(spec(fields, overrides).argv, argv, name);
});

test('an image with no Entrypoint and no Cmd is refused, naming the image', () => {
  assert.throws(() => spec({ Cmd: [] }), {
    code: 'UNDOCKER_BAD_ARCHIVE',
    message: /image app:latest: no Entrypoint and no Cmd/,
  });
});

test("environment: PATH, HOSTNAME and HOME added as Docker does, the image's own values kept", () => {
  const plain = new Map(spec({ Env: ['A=1'] }).env);
  assert.equal(plain.get('PATH'), DEFAULT_PATH);
  assert.equal(plain.get('HOSTNAME'), 'app');
  assert.equal(plain.get('HOME'), '/root');
  assert.equal(plain.get('A'), '1');
  const own = new Map(spec({ Env: ['PATH=/bin', 'HOME=/h', 'X=a=b', 'X=last'] }).env);
  assert.equal(own.get('PATH'), '/bin');
  assert.equal(own.get('HOME'), '/h');
  assert.equal(own.get('X'), 'last', 'a later entry wins');
  assert.equal(new Map(spec({ Env: ['E='] }).env).get('E'), '', 'an empty value is kept');
});

test('an environment entry without = is a warning that names it, and is left out', () => {
  const { env, warnings } = spec({ Env: ['GOOD=1', 'BROKEN'] });
  assert.equal(new Map(env).has('BROKEN'), false);
  assert.match(warnings.join('\n'), /image app:latest: Env: "BROKEN" is not NAME=VALUE/);
});

test('WorkingDir defaults to / and must be absolute', () => {
  assert.equal(spec({}).workingDir, '/');
  assert.equal(spec({ WorkingDir: '/srv' }).workingDir, '/srv');
  assert.throws(() => spec({ WorkingDir: 'srv' }), {
    message: /image app:latest: WorkingDir "srv" is not an absolute path/,
  });
});

test("User is resolved against the image's passwd and group as Docker does", () => {
  const cases: Array<[string, { uid: number; gid: number; home: string; groups: number[]; name?: string }]> = [
    ['', { uid: 0, gid: 0, home: '/root', groups: [0], name: 'root' }],
    ['app', { uid: 1000, gid: 1000, home: '/home/app', groups: [10, 1000, 1500], name: 'app' }],
    ['1000', { uid: 1000, gid: 1000, home: '/home/app', groups: [10, 1000, 1500], name: 'app' }],
    ['4242', { uid: 4242, gid: 0, home: '/', groups: [0] }],
    ['app:extra', { uid: 1000, gid: 1500, home: '/home/app', groups: [1500], name: 'app' }],
    ['app:77', { uid: 1000, gid: 77, home: '/home/app', groups: [77], name: 'app' }],
    ['4242:4343', { uid: 4242, gid: 4343, home: '/', groups: [4343] }],
    ['nohome', { uid: 1001, gid: 1001, home: '/', groups: [1001], name: 'nohome' }],
  ];
  for (const [field, want] of cases) {
    const { user, env } = spec({ User: field });
    assert.deepEqual(
      { uid: user.uid, gid: user.gid, home: user.home, groups: user.groups, name: user.name },
      { name: undefined, ...want },
      `User ${JSON.stringify(field)}`,
    );
    assert.equal(new Map(env).get('HOME'), want.home, `HOME for ${JSON.stringify(field)}`);
  }
});

test('a User or group the image does not know is refused, saying which and why', () => {
  assert.throws(() => spec({ User: 'ghost' }), {
    code: 'UNDOCKER_NOT_FOUND',
    message: /image app:latest: User "ghost": unable to find user ghost: no such user/,
  });
  assert.throws(() => spec({ User: 'app:ghosts' }), { message: /unable to find group ghosts: no such group/ });
  assert.throws(() => spec({ User: 'app' }, undefined, {}), {
    message: /unable to find user app: the image has no \/etc\/passwd/,
  });
  assert.equal(spec({ User: '1000' }, undefined, {}).user.uid, 1000, 'a numeric user needs no passwd');
});

test('StopSignal is normalised to SIGNAME; an unknown one is refused', () => {
  const cases: Array<[string, string]> = [
    ['', 'SIGTERM'],
    ['SIGINT', 'SIGINT'],
    ['quit', 'SIGQUIT'],
    ['9', 'SIGKILL'],
    ['SIGRTMIN+3', 'SIGRTMIN+3'],
  ];
  for (const [field, want] of cases) assert.equal(spec({ StopSignal: field }).stopSignal, want, field);
  assert.throws(() => spec({ StopSignal: 'SIGBOGUS' }), { message: /StopSignal "SIGBOGUS" is not a signal/ });
  assert.equal(spec({ StopSignal: 'SIGQUIT' }, { stopSignal: 'usr1' }).stopSignal, 'SIGUSR1', '--stop-signal wins');
});

test('ports and volumes are parsed; malformed ones are warnings', () => {
  const { ports, volumes, warnings } = spec({
    ExposedPorts: ['80/tcp', '53/udp', '8000-8002', 'http'],
    Volumes: ['/data', 'relative'],
  });
  assert.deepEqual(ports, [
    { port: 80, end: 80, protocol: 'tcp' },
    { port: 53, end: 53, protocol: 'udp' },
    { port: 8000, end: 8002, protocol: 'tcp' },
  ]);
  assert.deepEqual(volumes, ['/data']);
  assert.equal(warnings.length, 2);
});

test('overrides replace env, workdir, user and hostname', () => {
  const result = spec({ Env: ['A=1'] }, { env: ['A=2', 'B=3'], workingDir: '/tmp', user: 'app', hostname: 'web' });
  const env = new Map(result.env);
  assert.deepEqual(
    [env.get('A'), env.get('B'), env.get('HOSTNAME'), result.workingDir, result.user.uid, result.hostname],
    ['2', '3', 'web', '/tmp', 1000, 'web'],
  );
});
