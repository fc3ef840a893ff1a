/**
 * Registry transport under faults, against the real docker-registry behind a fault-injecting
 * HTTP proxy on loopback: 429 and 503 with Retry-After, tokens that expire before they say,
 * and a registry that never recovers, which must end in one line naming it and the blob.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { UNDOCKER } from '../helpers/cli.js';
import { type FaultProxy, PASSWORD, type Registry, startFaultProxy, startRegistry, USER } from '../helpers/registry.js';

const missing = ['docker-registry', 'skopeo', 'openssl'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const SKIP = missing.length > 0 ? `needs ${missing.join(', ')}` : false;

const work = tempDir('undocker-faults-');
let open: Registry;
let token: Registry;
let openProxy: FaultProxy;
let tokenProxy: FaultProxy;

/** pull runs `undocker pull` without blocking this process, whose proxies must keep serving. */
function pull(
  ref: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(UNDOCKER, ['pull', '--insecure', ref], {
      env: {
        ...process.env,
        NO_COLOR: '1',
        UNDOCKER_CACHE: join(work, `cache-${randomBytes(4).toString('hex')}`),
        DOCKER_CONFIG: join(work, 'none'),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('close', (status) => resolve({ status, stderr, ms: Date.now() - started }));
  });
}

before(async () => {
  if (SKIP) return;
  const source = writeDockerSave([
    { layers: [[{ path: 'data', content: randomBytes(512 * 1024) }]], tags: ['app:1'], config: { Cmd: ['/x'] } },
  ]);
  open = await startRegistry();
  token = await startRegistry('token', { tokenLifetime: 1 });
  for (const registry of [open, token]) {
    // Not execFileSync: the token issuer answers from this process.
    await promisify(execFile)('skopeo', [
      'copy',
      '-q',
      '--dest-tls-verify=false',
      ...(registry === token ? ['--dest-creds', `${USER}:${PASSWORD}`] : []),
      `docker-archive:${source}`,
      `docker://${registry.host}/app:1`,
    ]);
  }
  openProxy = await startFaultProxy(open.host);
  tokenProxy = await startFaultProxy(token.host);
});

after(async () => {
  if (SKIP) return;
  await openProxy.close();
  await tokenProxy.close();
  await open.stop();
  await token.stop();
  execFileSync('rm', ['-rf', work]);
});

test('503 and 429 with Retry-After are waited out, then the pull succeeds', { skip: SKIP }, async () => {
  openProxy.log = [];
  openProxy.faults = [
    { match: /\/manifests\//, status: 429, retryAfter: '1', times: 1 },
    { match: /\/blobs\/sha256:/, status: 503, retryAfter: '1', times: 2 },
  ];
  const result = await pull(`${openProxy.host}/app:1`);
  assert.equal(result.status, 0, result.stderr);
  assert.ok(result.ms >= 2000, `Retry-After was honoured (${result.ms} ms)`);
  assert.equal(openProxy.log.filter((line) => line.startsWith('429 ')).length, 1);
  assert.equal(openProxy.log.filter((line) => line.startsWith('503 ')).length, 2);
  assert.ok(
    openProxy.log.some((line) => /^200 .*\/blobs\//.test(line)),
    'the blob came after all',
  );
});

test('a registry that keeps failing ends in one line naming it and the blob', { skip: SKIP }, async () => {
  openProxy.faults = [{ match: /\/blobs\/sha256:/, status: 503, times: 1000 }];
  const result = await pull(`${openProxy.host}/app:1`, { UNDOCKER_RETRY_SECONDS: '2' });
  openProxy.faults = [];
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /^undocker: (layer|config) sha256:[0-9a-f]+ of 127\.0\.0\.1:\d+\/app:1: 127\.0\.0\.1:\d+ still failed after \d+ attempts in \d+ s \(last: HTTP 503\): giving up\n$/,
  );
  assert.ok(result.ms < 10_000, 'the retry time is bounded');
});

test('a token is renewed before it expires, and once on a 401 for a token thought valid', { skip: SKIP }, async (t) => {
  await t.test('expires_in of 1 s: requests 1.2 s apart each get a fresh token', async () => {
    const before = token.tokensIssued();
    tokenProxy.delayMs = 1200;
    const result = await pull(`${tokenProxy.host}/app:1`);
    tokenProxy.delayMs = 0;
    assert.equal(result.status, 0, result.stderr);
    assert.ok(token.tokensIssued() - before >= 3, `tokens were renewed (${token.tokensIssued() - before} issued)`);
  });
  await t.test('a 401 to a token thought valid (revoked, or expired early) is answered with a new one', async () => {
    tokenProxy.log = [];
    tokenProxy.faults = [{ match: /\/v2\/app\/manifests\//, status: 401, times: 1 }];
    const result = await pull(`${tokenProxy.host}/app:1`);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(
      tokenProxy.log.filter((line) => line.includes('/manifests/')).map((line) => line.split(' ')[0]),
      ['401', '200'],
    );
  });
});
