import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseChallenge } from '../../../src/registry/challenge.js';
import { credentialsFor, parseCreds } from '../../../src/registry/credentials.js';
import { apiHost, familiarName, formatReference, isLoopback, parseReference } from '../../../src/registry/reference.js';

test('references as people write them, normalised as Docker does', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['org/app:v1', 'docker.io/org/app:v1'],
    ['ghcr.io/org/app:v1', 'ghcr.io/org/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app@' + digest, `localhost:5000/app@${digest}`],
    ['127.0.0.1:5000/a/b/c:x', '127.0.0.1:5000/a/b/c:x'],
  ];
  for (const [text, full] of cases) assert.equal(formatReference(parseReference(text)), full, text);
  assert.equal(apiHost(parseReference('nginx')), 'registry-1.docker.io');
  assert.equal(apiHost(parseReference('ghcr.io/a/b')), 'ghcr.io');
  assert.equal(familiarName(parseReference('nginx:1')), 'nginx:1');
  assert.equal(familiarName(parseReference('localhost:5000/app')), 'localhost:5000/app:latest');
  for (const bad of ['Nginx', 'nginx:', 'a@sha256:12', 'ghcr.io/', 'a//b'])
    assert.throws(() => parseReference(bad), { code: 'UNDOCKER_USAGE' }, bad);
  assert.equal(isLoopback('127.0.0.1:5000'), true);
  assert.equal(isLoopback('localhost'), true);
  assert.equal(isLoopback('registry.example:5000'), false);
});

test('WWW-Authenticate challenges: bearer with quoted parameters, basic', () => {
  assert.deepEqual(
    parseChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
    ),
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/nginx:pull',
      },
    },
  );
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), {
    scheme: 'basic',
    params: { realm: 'Registry Realm' },
  });
  assert.deepEqual(parseChallenge('Bearer realm=unquoted, error="insufficient_scope"'), {
    scheme: 'bearer',
    params: { realm: 'unquoted', error: 'insufficient_scope' },
  });
});

test('credentials from --creds and from an auth file, Docker Hub under its historic key', () => {
  assert.deepEqual(parseCreds('user:pa:ss'), { username: 'user', password: 'pa:ss' });
  assert.throws(() => parseCreds('nopassword'), { code: 'UNDOCKER_USAGE' });
  const file = join(mkdtempSync(join(tmpdir(), 'undocker-auth-')), 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hub:secret').toString('base64') },
        'localhost:5000': { username: 'local', password: 'pw' },
      },
    }),
  );
  assert.deepEqual(credentialsFor('docker.io', file), { username: 'hub', password: 'secret' });
  assert.deepEqual(credentialsFor('localhost:5000', file), { username: 'local', password: 'pw' });
  assert.equal(credentialsFor('ghcr.io', file), undefined);
  assert.throws(() => credentialsFor('ghcr.io', '/nonexistent/auth.json'), /--authfile \/nonexistent\/auth.json/);
});
