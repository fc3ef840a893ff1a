/**
 * Pull, save, push and docker://REF against a real registry (Debian's docker-registry on
 * loopback, filled with skopeo): single images and a two-platform index, htpasswd and token
 * authentication, and the failures that must give one line and leave nothing half-written.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir, writeDockerSave, writeOciLayout } from '../helpers/archives.js';
import { UNDOCKER, undocker } from '../helpers/cli.js';
import { PASSWORD, type Registry, startProxy, startRegistry, USER } from '../helpers/registry.js';
import { diffSummaries, summarizeTar } from '../helpers/summary.js';

const missing = ['docker-registry', 'skopeo', 'htpasswd', 'openssl'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const SKIP = missing.length > 0 ? `needs ${missing.join(', ')}` : false;

const BIG = randomBytes(3 * 1024 * 1024);
const LAYERS = [
  [{ path: 'etc/' }, { path: 'etc/hostname', content: 'pulled\n' }],
  [{ path: 'data/' }, { path: 'data/big.bin', content: BIG }, { path: 'etc/.wh.hostname' }],
];

let registry: Registry;
let source: string;
const work = tempDir('undocker-registry-test-');
after(() => execFileSync('rm', ['-rf', work]));

function cli(
  args: string[],
  cache: string,
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: Buffer; stderr: string } {
  return undocker(args, { env: { UNDOCKER_CACHE: cache, DOCKER_CONFIG: join(work, 'no-docker-config'), ...env } });
}

/** cliAsync runs undocker without blocking this process, whose proxies must keep serving meanwhile. */
function cliAsync(
  args: string[],
  cache: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(UNDOCKER, args, {
      env: {
        ...process.env,
        NO_COLOR: '1',
        UNDOCKER_CACHE: cache,
        DOCKER_CONFIG: join(work, 'no-docker-config'),
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

function skopeoCopy(from: string, to: string, extra: string[] = []): void {
  execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', ...extra, from, to], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

async function rootfsOf(input: string, cache: string, extra: string[] = []): Promise<ReturnType<typeof summarizeTar>> {
  const result = cli(['rootfs', ...extra, input, '-'], cache);
  assert.equal(result.status, 0, result.stderr);
  return summarizeTar(result.stdout);
}

describe('a registry without authentication', { skip: SKIP }, () => {
  before(
    async () => {
      registry = await startRegistry();
      source = writeDockerSave([{ layers: LAYERS, tags: ['single:1'], config: { Cmd: ['/bin/true'] } }]);
      skopeoCopy(`docker-archive:${source}`, `docker://${registry.host}/single:1`);
      const multi = writeOciLayout(
        [
          {
            layers: [[{ path: 'arch', content: 'amd64\n' }]],
            tags: ['multi'],
            platform: { os: 'linux', architecture: 'amd64' },
          },
          {
            layers: [[{ path: 'arch', content: 'arm64\n' }]],
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
        ],
        { index: 'nested' },
      );
      skopeoCopy(`oci:${multi}:multi`, `docker://${registry.host}/multi:1`, ['--all']);
    },
    { timeout: 120_000 },
  );
  after(() => registry.stop());

  test('pull -o writes the image as a docker save archive; docker://REF reads as an archive', async () => {
    const cache = join(work, 'cache-pull');
    const out = join(work, 'pulled.tar');
    const pulled = cli(['pull', '--insecure', `${registry.host}/single:1`, '-o', out], cache);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.match(pulled.stdout.toString(), new RegExp(`^${registry.host}/single:1 sha256:[0-9a-f]{64}\\n$`));
    assert.equal(cli(['list', out], cache).stdout.toString(), `${registry.host}/single: 1\n`);
    const expected = await rootfsOf(source, cache);
    assert.deepEqual(diffSummaries(expected, await rootfsOf(out, cache)), []);
    assert.deepEqual(
      diffSummaries(expected, await rootfsOf(`docker://${registry.host}/single:1`, cache, ['--insecure'])),
      [],
    );
    const config = JSON.parse(
      cli(['config', '--insecure', '--json', `docker://${registry.host}/single:1`], cache).stdout.toString(),
    ) as { Cmd: string[] };
    assert.deepEqual(config.Cmd, ['/bin/true']);
    assert.deepEqual(
      readdirSync(join(cache, 'store', 'blobs', 'sha256')).filter((name) => !/^[0-9a-f]{64}$/.test(name)),
      [],
      'no partial or lock left',
    );
  });

  test('a second pull downloads only the manifest: blobs in the store are not fetched again', async () => {
    const cache = join(work, 'cache-reuse');
    const proxy = await startProxy(registry.host);
    try {
      assert.equal((await cliAsync(['pull', '--insecure', `${proxy.host}/single:1`], cache)).status, 0);
      const first = proxy.bytesToClient;
      assert.ok(first > BIG.length, `the first pull fetched the layers (${first} bytes)`);
      assert.equal((await cliAsync(['pull', '--insecure', `${proxy.host}/single:1`], cache)).status, 0);
      assert.ok(proxy.bytesToClient - first < 20_000, `the second pull fetched ${proxy.bytesToClient - first} bytes`);
    } finally {
      await proxy.close();
    }
  });

  test('two pulls of one image at once share the store: each blob is fetched once, both succeed', async () => {
    const cache = join(work, 'cache-concurrent');
    const proxy = await startProxy(registry.host);
    proxy.pauseMs = 10; // the downloads overlap: neither can finish before the other asks
    try {
      const results = await Promise.all(
        [1, 2].map(() => cliAsync(['pull', '--insecure', `${proxy.host}/single:1`], cache)),
      );
      for (const result of results) assert.equal(result.status, 0, result.stderr);
      assert.ok(
        proxy.bytesToClient > BIG.length && proxy.bytesToClient < 2 * BIG.length,
        `the big layer crossed once (${proxy.bytesToClient} bytes)`,
      );
      assert.deepEqual(
        readdirSync(join(cache, 'store', 'blobs', 'sha256')).filter((name) => !/^[0-9a-f]{64}$/.test(name)),
        [],
        'no partial or lock left',
      );
    } finally {
      await proxy.close();
    }
  });

  test("an index: the host's platform by default, --platform picks, a missing one lists those there are", async () => {
    const cache = join(work, 'cache-multi');
    const arch = async (extra: string[]): Promise<string> => {
      const result = cli(['rootfs', '--insecure', ...extra, `docker://${registry.host}/multi:1`, '-'], cache);
      assert.equal(result.status, 0, result.stderr);
      return execFileSync('tar', ['-xOf', '-', 'arch'], { input: result.stdout, encoding: 'utf8' });
    };
    assert.equal(await arch([]), process.arch === 'arm64' ? 'arm64\n' : 'amd64\n');
    assert.equal(await arch(['--platform', 'linux/arm64']), 'arm64\n');
    const none = cli(['pull', '--insecure', '--platform', 'linux/s390x', `${registry.host}/multi:1`], cache);
    assert.equal(none.status, 1);
    assert.match(
      none.stderr,
      /^undocker: index .*multi:1: no image for linux\/s390x; the index has linux\/amd64, linux\/arm64\/v8: pick one with --platform\n$/,
    );
  });

  test('progress: a line on a terminal with layers and bytes; nothing with --quiet or off a terminal', () => {
    const onTerminal = (extra: string, cache: string): string =>
      execFileSync(
        'script',
        ['-qec', `${UNDOCKER} pull --insecure ${extra} ${registry.host}/single:1 >/dev/null`, '/dev/null'],
        {
          env: { ...process.env, NO_COLOR: '1', UNDOCKER_CACHE: cache, DOCKER_CONFIG: join(work, 'no-docker-config') },
          encoding: 'utf8',
        },
      );
    const shown = onTerminal('', join(work, 'cache-progress'));
    assert.match(shown, /pulling \S*single:1: 2\/2 layers, [\d.]+[kMG]?B of [\d.]+[kMG]?B, [\d.]+[kMG]?B\/s\r?\n/);
    assert.equal(onTerminal('--quiet', join(work, 'cache-progress-quiet')), '');
    assert.equal(
      cli(['pull', '--insecure', `${registry.host}/single:1`], join(work, 'cache-progress-pipe')).stderr,
      '',
    );
  });

  test('an output that cannot be written is refused before anything is downloaded', () => {
    const cache = join(work, 'cache-refused');
    const full = join(work, 'full-dir');
    mkdirSync(full);
    writeFileSync(join(full, 'keep'), 'mine');
    for (const [args, message] of [
      [['-o', join(work, 'no-such-dir', 'out.tar')], /is not an existing directory/],
      [['--oci', full], /is not empty: choose an empty or new directory, or pass --force/],
    ] as const) {
      const result = cli(['pull', '--insecure', `${registry.host}/single:1`, ...args], cache);
      assert.equal(result.status, 1);
      assert.match(result.stderr, message);
    }
    assert.equal(existsSync(join(cache, 'store')), false, 'nothing downloaded');
    assert.equal(readFileSync(join(full, 'keep'), 'utf8'), 'mine');
  });

  test("save writes a pulled image from the store with no network; --oci keeps the registry's manifest", () => {
    const cache = join(work, 'cache-save');
    const ref = `${registry.host}/single:1`;
    assert.equal(cli(['save', ref, '-o', join(work, 'never.tar')], cache).status, 1, 'not pulled yet');
    assert.equal(cli(['pull', '--insecure', ref], cache).status, 0);
    const saved = join(work, 'saved.tar');
    assert.equal(cli(['save', ref, '-o', saved], cache).status, 0);
    assert.equal(cli(['list', saved], cache).stdout.toString(), `${registry.host}/single: 1\n`);
    const layout = join(work, 'saved-oci');
    assert.equal(cli(['save', ref, '--oci', layout], cache).status, 0);
    const digest = (transport: string): string =>
      (
        JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', transport], { encoding: 'utf8' })) as {
          Digest: string;
        }
      ).Digest;
    assert.equal(digest(`oci:${layout}`), digest(`docker://${ref}`));
  });

  test(
    'push sends what the registry lacks, in chunks when large, ' + 'then the manifest; skopeo and pull read it back',
    async () => {
      const cache = join(work, 'cache-push');
      const big = randomBytes(20 * 1024 * 1024);
      const archive = writeDockerSave([
        {
          layers: [[{ path: 'big', content: big }], [{ path: 'small', content: 'small' }]],
          tags: ['pushme:1'],
          config: { Cmd: ['/x'] },
        },
      ]);
      const ref = `${registry.host}/pushed/app:2`;
      const pushed = cli(['push', '--insecure', archive, ref], cache);
      assert.equal(pushed.status, 0, pushed.stderr);
      const inspect = JSON.parse(
        execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }),
      ) as { Layers: string[]; Digest: string };
      assert.equal(inspect.Layers.length, 2);
      assert.equal(pushed.stdout.toString(), `${ref} ${inspect.Digest}\n`);
      assert.deepEqual(
        diffSummaries(await rootfsOf(archive, cache), await rootfsOf(`docker://${ref}`, cache, ['--insecure'])),
        [],
      );
      const copied = cli(['push', '--insecure', `docker://${ref}`, `${registry.host}/copied/app:2`], cache);
      assert.equal(copied.status, 0, `registry to registry: ${copied.stderr}`);
      assert.deepEqual(
        diffSummaries(
          await rootfsOf(archive, cache),
          await rootfsOf(`docker://${registry.host}/copied/app:2`, cache, ['--insecure']),
        ),
        [],
      );
      const proxy = await startProxy(registry.host);
      try {
        assert.equal((await cliAsync(['push', '--insecure', archive, `${proxy.host}/pushed/app:3`], cache)).status, 0);
        assert.ok(
          proxy.bytesToServer < 100_000,
          `blobs the registry has are not sent again (${proxy.bytesToServer} bytes sent)`,
        );
      } finally {
        await proxy.close();
      }
    },
  );

  test(
    'run starts an image straight from a registry',
    {
      skip:
        process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v systemd-nspawn']).status !== 0
          ? 'needs root and systemd-nspawn'
          : false,
    },
    () => {
      const show = writeDockerSave([
        {
          layers: [
            [
              { path: 'bin/' },
              { path: 'bin/busybox', content: readFileSync('/bin/busybox'), mode: 0o755 },
              { path: 'usr/' },
            ],
          ],
          tags: ['show:1'],
          config: { Entrypoint: ['/bin/busybox', 'echo'], Cmd: ['from', 'the registry'] },
        },
      ]);
      skopeoCopy(`docker-archive:${show}`, `docker://${registry.host}/show:1`);
      const result = cli(['run', '--insecure', `docker://${registry.host}/show:1`], join(work, 'cache-run'));
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.toString(), 'from the registry\n');
    },
  );

  test('failures: an unknown repository or tag, a blob whose bytes do not match, the registry going away', async () => {
    const cache = join(work, 'cache-errors');
    for (const ref of [`${registry.host}/nope:1`, `${registry.host}/single:nope`]) {
      const result = cli(['pull', '--insecure', ref, '-o', join(work, 'never.tar')], cache);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /^undocker: manifest .*: not found \(HTTP 404, (MANIFEST|NAME)_UNKNOWN/);
      assert.equal(result.stderr.split('\n').length, 2, 'one line');
    }
    assert.equal(existsSync(join(work, 'never.tar')), false);
    const https = cli(['pull', `${registry.host}/single:1`], cache);
    assert.equal(https.status, 1);
    assert.match(
      https.stderr,
      /^undocker: cannot reach .*: it does not speak HTTPS \(a plain-HTTP registry needs --insecure\)\n$/,
      'never falls back to HTTP',
    );

    // The registry going away mid-download, with no time to retry: the partial blob stays, and the next pull resumes
    // it.
    const proxy = await startProxy(registry.host);
    proxy.cutAfter = 1024 * 1024;
    const cut = await cliAsync(['pull', '--insecure', `${proxy.host}/single:1`], cache, {
      UNDOCKER_RETRY_SECONDS: '0',
    });
    assert.equal(cut.status, 1);
    assert.match(
      cut.stderr,
      /^undocker: (layer sha256:[0-9a-f]+ of .*: the download from 127\.0\.0\.1:\d+ broke off 1 times in 0 s \(after \d+ of \d+ bytes: .*\): giving up; pull again to resume|.*still failed after 1 attempts)\n$/,
    );
    const partial = readdirSync(join(cache, 'store', 'blobs', 'sha256')).find((name) => name.endsWith('.partial'));
    assert.ok(partial !== undefined, 'a partial download is kept');
    const had = statSync(join(cache, 'store', 'blobs', 'sha256', partial)).size;
    proxy.cutAfter = undefined;
    const before = proxy.bytesToClient;
    const resumed = await cliAsync(['pull', '--insecure', `${proxy.host}/single:1`], cache);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.ok(proxy.bytesToClient - before < BIG.length + 100_000 - had, 'only the rest was fetched');
    await proxy.close();

    // Bytes that do not match their digest: the registry's stored layer is altered.
    // Only this image's own layers: other tests push large blobs of their own to the registry.
    const blobs = join(registry.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256');
    const { Layers } = JSON.parse(
      execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${registry.host}/single:1`], {
        encoding: 'utf8',
      }),
    ) as { Layers: string[] };
    const layer = Layers.map((digest) => digest.slice('sha256:'.length))
      .map((hex) => join(blobs, hex.slice(0, 2), hex, 'data'))
      .find((path) => statSync(path).size > BIG.length) as string;
    const bytes = readFileSync(layer);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(layer, bytes);
    const tampered = cli(['pull', '--insecure', `${registry.host}/single:1`], join(work, 'cache-tampered'));
    assert.equal(tampered.status, 1);
    assert.match(
      tampered.stderr,
      /^undocker: layer sha256:[0-9a-f]{64} of .*single:1: digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}\n$/,
    );
    assert.deepEqual(
      readdirSync(join(work, 'cache-tampered', 'store', 'blobs', 'sha256')).filter(
        (name) => statSync(join(work, 'cache-tampered', 'store', 'blobs', 'sha256', name)).size > BIG.length,
      ),
      [],
      'the bad blob is not kept',
    );
  });
});

describe('registries that need credentials', { skip: SKIP }, () => {
  test('htpasswd: refused without or with wrong credentials; --creds and --authfile work', async () => {
    const protectedRegistry = await startRegistry('htpasswd');
    try {
      const archive = writeDockerSave([{ layers: [[{ path: 'f', content: 'x' }]], tags: ['p:1'] }]);
      skopeoCopy(`docker-archive:${archive}`, `docker://${protectedRegistry.host}/p:1`, [
        `--dest-creds=${USER}:${PASSWORD}`,
      ]);
      const cache = join(work, 'cache-htpasswd');
      const ref = `${protectedRegistry.host}/p:1`;
      const anonymous = cli(['pull', '--insecure', ref], cache);
      assert.equal(anonymous.status, 1);
      assert.match(anonymous.stderr, /^undocker: .*needs credentials: give --creds USER:PASSWORD or --authfile\n$/);
      const wrong = cli(['pull', '--insecure', '--creds', `${USER}:wrong`, ref], cache);
      assert.equal(wrong.status, 1);
      assert.match(wrong.stderr, /^undocker: manifest .*: access denied \(HTTP 401.*check --creds or --authfile\n$/);
      assert.equal(cli(['pull', '--insecure', '--creds', `${USER}:${PASSWORD}`, ref], cache).status, 0);
      const authfile = join(work, 'auth.json');
      writeFileSync(
        authfile,
        JSON.stringify({
          auths: { [protectedRegistry.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } },
        }),
      );
      assert.equal(cli(['pull', '--insecure', '--authfile', authfile, ref], join(work, 'cache-authfile')).status, 0);
      assert.equal(
        cli(['push', '--insecure', '--authfile', authfile, archive, `${protectedRegistry.host}/p:2`], cache).status,
        0,
      );
    } finally {
      await protectedRegistry.stop();
    }
  });

  // The token issuer runs in this process: undocker runs alongside it, never with spawnSync.
  test('token flow: anonymous pull with a bearer token; push needs credentials; bad ones are refused', async () => {
    const tokenRegistry = await startRegistry('token');
    try {
      const archive = writeDockerSave([{ layers: [[{ path: 'f', content: 'token' }]], tags: ['t:1'] }]);
      const cache = join(work, 'cache-token');
      const ref = `${tokenRegistry.host}/team/t:1`;
      const anonymousPush = await cliAsync(['push', '--insecure', archive, ref], cache);
      assert.equal(anonymousPush.status, 1);
      assert.match(anonymousPush.stderr, /access denied \(HTTP 401/);
      assert.equal(
        (await cliAsync(['push', '--insecure', '--creds', `${USER}:${PASSWORD}`, archive, ref], cache)).status,
        0,
      );
      const pulled = await cliAsync(['pull', '--insecure', ref, '-o', join(work, 'token.tar')], cache);
      assert.equal(pulled.status, 0, pulled.stderr);
      const bad = await cliAsync(['pull', '--insecure', '--creds', `${USER}:wrong`, ref], cache);
      assert.equal(bad.status, 1);
      assert.match(
        bad.stderr,
        /^undocker: .*the token service http:\/\/127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/,
      );
    } finally {
      await tokenRegistry.stop();
    }
  });
});
