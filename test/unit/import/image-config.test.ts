import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseCommandForm,
  parseExpose,
  toCreated,
  toImportConfig,
  type ConfigChanges,
} from '../../../src/import/image-config.js';
import { parseTag } from '../../../src/import/image-tag.js';

const NONE: ConfigChanges = { env: [], expose: [], volumes: [], labels: [], created: '2024-01-01T00:00:00Z' };

test('--cmd and --entrypoint: a JSON array is the exec form, anything else the shell form', () => {
  assert.deepEqual(parseCommandForm('["/app", "--flag", "two words"]', '--cmd'), ['/app', '--flag', 'two words']);
  assert.deepEqual(parseCommandForm('nginx -g "daemon off;"', '--cmd'), ['/bin/sh', '-c', 'nginx -g "daemon off;"']);
  assert.throws(() => parseCommandForm('["/app", ', '--entrypoint'), {
    code: 'UNDOCKER_USAGE',
    message: /^--entrypoint \["\/app", : not a JSON array: /,
  });
  assert.throws(() => parseCommandForm('[1, 2]', '--cmd'), /a JSON form must be an array of strings/);
});

test('--expose takes PORT[/PROTOCOL] and ranges, tcp by default', () => {
  assert.equal(parseExpose('80'), '80/tcp');
  assert.equal(parseExpose('53/UDP'), '53/udp');
  assert.equal(parseExpose('8000-8010/tcp'), '8000-8010/tcp');
  for (const bad of ['0', '70000', '80/http', 'http', '90-80', ''])
    assert.throws(() => parseExpose(bad), { code: 'UNDOCKER_USAGE' }, bad);
});

test('a config from options alone, with the layers and a history line', () => {
  const config = toImportConfig(
    {
      ...NONE,
      cmd: 'echo hi',
      env: ['A=1', 'B=x=y'],
      workingDir: '/srv',
      user: 'app',
      expose: ['80'],
      volumes: ['/data'],
      labels: ['k=v=w'],
      stopSignal: 'quit',
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      author: 'me',
    },
    ['sha256:aa'],
  );
  assert.deepEqual(config, {
    architecture: 'arm64',
    os: 'linux',
    variant: 'v8',
    created: '2024-01-01T00:00:00Z',
    author: 'me',
    config: {
      Entrypoint: null,
      Cmd: ['/bin/sh', '-c', 'echo hi'],
      Env: ['A=1', 'B=x=y'],
      WorkingDir: '/srv',
      User: 'app',
      ExposedPorts: { '80/tcp': {} },
      Volumes: { '/data': {} },
      Labels: { k: 'v=w' },
      StopSignal: 'SIGQUIT',
    },
    rootfs: { type: 'layers', diff_ids: ['sha256:aa'] },
    history: [
      { created: '2024-01-01T00:00:00Z', created_by: 'undocker import', comment: 'imported from a root file system' },
    ],
  });
});

test('on a base, its config is kept and changed as Dockerfile instructions would', () => {
  const base = {
    architecture: 'amd64',
    os: 'linux',
    config: {
      Entrypoint: ['/base'],
      Cmd: ['run'],
      Env: ['PATH=/bin', 'KEEP=1'],
      Labels: { a: '1' },
      ExposedPorts: { '22/tcp': {} },
    },
    rootfs: { type: 'layers', diff_ids: ['sha256:b1'] },
    history: [{ created_by: 'base layer' }],
  };
  const kept = toImportConfig(
    { ...NONE, env: ['PATH=/usr/bin:/bin'], labels: ['b=2'], expose: ['80'] },
    ['sha256:b1', 'sha256:new'],
    base,
  );
  assert.deepEqual(kept.config?.Entrypoint, ['/base']);
  assert.deepEqual(kept.config?.Cmd, ['run']);
  assert.deepEqual(kept.config?.Env, ['PATH=/usr/bin:/bin', 'KEEP=1'], 'ENV replaces by name, in place');
  assert.deepEqual(kept.config?.Labels, { a: '1', b: '2' });
  assert.deepEqual(Object.keys(kept.config?.ExposedPorts ?? {}), ['22/tcp', '80/tcp']);
  assert.equal(kept.architecture, 'amd64');
  assert.deepEqual(
    kept.history?.map((h) => h.created_by),
    ['base layer', 'undocker import'],
  );
  const reset = toImportConfig({ ...NONE, entrypoint: '["/new"]' }, [], base);
  assert.deepEqual(
    [reset.config?.Entrypoint, reset.config?.Cmd],
    [['/new'], null],
    'ENTRYPOINT resets the inherited CMD',
  );
});

test('bad option values are usage errors that name the option', () => {
  assert.throws(
    () => toImportConfig({ ...NONE, workingDir: 'srv' }, []),
    /-w srv: the working directory must be an absolute path/,
  );
  assert.throws(
    () => toImportConfig({ ...NONE, volumes: ['data'] }, []),
    /--volume data: a volume must be an absolute path/,
  );
  assert.throws(() => toImportConfig({ ...NONE, labels: ['novalue'] }, []), /--label novalue: use NAME=VALUE/);
  assert.throws(() => toImportConfig({ ...NONE, env: ['=x'] }, []), /-e =x: use NAME=VALUE/);
  assert.throws(() => toImportConfig({ ...NONE, stopSignal: 'SIGNOPE' }, []), {
    code: 'UNDOCKER_USAGE',
    message: /--stop-signal SIGNOPE: not a signal/,
  });
});

test('the creation time: --created, else SOURCE_DATE_EPOCH, else now', () => {
  const now = new Date('2030-05-06T07:08:09.123Z');
  assert.deepEqual(toCreated(undefined, undefined, now), {
    iso: '2030-05-06T07:08:09.123Z',
    seconds: Math.floor(now.getTime() / 1000),
  });
  assert.deepEqual(toCreated(undefined, '1700000000', now), { iso: '2023-11-14T22:13:20Z', seconds: 1700000000 });
  assert.deepEqual(toCreated('2024-02-03T04:05:06Z', '1700000000', now), {
    iso: '2024-02-03T04:05:06Z',
    seconds: Date.parse('2024-02-03T04:05:06Z') / 1000,
  });
  assert.throws(() => toCreated('yesterday', undefined, now), { code: 'UNDOCKER_USAGE' });
  assert.throws(() => toCreated(undefined, '17e8', now), /SOURCE_DATE_EPOCH=17e8/);
});

test("-t takes docker tag's names, latest by default", () => {
  assert.equal(parseTag('app'), 'app:latest');
  assert.equal(parseTag('org/app:1.2-rc_3'), 'org/app:1.2-rc_3');
  assert.equal(parseTag('localhost:5000/team/app:v1'), 'localhost:5000/team/app:v1');
  assert.equal(parseTag('ghcr.io/org/app'), 'ghcr.io/org/app:latest');
  for (const bad of ['App', 'app:', 'app:-x', 'a//b', '/app', 'app:tag:x', 'ap p'])
    assert.throws(() => parseTag(bad), { code: 'UNDOCKER_USAGE' }, bad);
});
