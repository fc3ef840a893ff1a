/**
 * The CLI end to end, as a user runs it (as umoci's test/unpack.bats): results, exit
 * statuses, one-line errors, and no output left behind by a failure or an interrupt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDir, writeDockerSave, writeOciLayout } from '../helpers/archives.js';
import { UNDOCKER, undocker } from '../helpers/cli.js';
import { summarizeTar } from '../helpers/summary.js';

const IMAGE = {
  layers: [
    [
      { path: 'bin/' },
      { path: 'bin/app', content: 'app', mode: 0o755 },
      { path: 'etc/' },
      { path: 'etc/conf', content: 'a=1\n' },
    ],
    [
      { path: 'etc/conf', content: 'a=2\n', uid: 1000, gid: 1000 },
      { path: 'dev/' },
      { path: 'dev/null', type: 'char' as const, devmajor: 1, devminor: 3, mode: 0o666 },
    ],
  ],
  tags: ['example/app:1.0', 'example/app:latest'],
  config: {
    Entrypoint: ['/bin/app'],
    Cmd: ['--port', '80'],
    Env: ['PATH=/bin', 'MODE=prod'],
    WorkingDir: '/srv',
    User: '1000:1000',
    ExposedPorts: { '80/tcp': {} },
    Volumes: { '/data': {} },
    StopSignal: 'SIGQUIT',
    Labels: { maintainer: 'me' },
  },
};
const archive = writeDockerSave([IMAGE, { layers: [[{ path: 'other', content: 'x' }]], tags: ['other:latest'] }]);
const single = writeDockerSave([IMAGE]);

test('list shows one image a line with its tags', () => {
  const result = undocker(['list', archive]);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.toString(), 'example/app: 1.0 latest\nother: latest\n');
  const json = JSON.parse(undocker(['list', archive, '--json']).stdout.toString()) as Array<{
    names: string[];
    layers: number;
  }>;
  assert.deepEqual(
    json.map((i) => i.names),
    [['example/app:1.0', 'example/app:latest'], ['other:latest']],
  );
});

test('layers shows each layer bottom to top with sizes and history', () => {
  const result = undocker(['layers', archive, 'example/app']);
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.toString().trim().split('\n');
  assert.equal(lines.length, 4, 'a heading, two layers, the total wasted');
  assert.match(lines[0] ?? '', /^#\s+ID\s+DIFF_ID\s+SIZE\s+UNCOMPRESSED\s+ENTRIES\s+WASTED\s+MEDIA TYPE\s+CREATED BY$/);
  assert.match(
    lines[2] ?? '',
    /^2\s+[0-9a-f]{12}\s+[0-9a-f]{12}\s+\S+\s+\S+\s+\d+\s+\S+\s+application\/vnd\.docker\.image\.rootfs\.diff\.tar\s+layer 2$/,
  );
  assert.match(
    lines[3] ?? '',
    /^wasted: \S+ \(\d+\.\d% of \S+ uncompressed\) in files a later layer deleted or replaced$/,
  );
});

test('config shows the normalised config, and --json for scripts', () => {
  const text = undocker(['config', archive, 'example/app:1.0']).stdout.toString();
  for (const line of [
    /^Entrypoint:\s+\["\/bin\/app"\]$/m,
    /^Cmd:\s+\["--port","80"\]$/m,
    /^Env:\s+PATH=\/bin$/m,
    /^\s+MODE=prod$/m,
    /^WorkingDir:\s+\/srv$/m,
    /^User:\s+1000:1000$/m,
    /^ExposedPorts:\s+80\/tcp$/m,
    /^Volumes:\s+\/data$/m,
    /^StopSignal:\s+SIGQUIT$/m,
    /^Labels:\s+maintainer=me$/m,
  ]) {
    assert.match(text, line);
  }
  const json = JSON.parse(undocker(['config', single, '--json']).stdout.toString());
  assert.equal(json.StopSignal, 'SIGQUIT');
  assert.equal(json.os, 'linux');
});

test('rootfs writes a tar to stdout, a compressed file, or a directory', async (t) => {
  const work = tempDir();
  await t.test('- is a tar stream on stdout', async () => {
    const result = undocker(['rootfs', single, '-']);
    assert.equal(result.status, 0, result.stderr);
    const summary = await summarizeTar(result.stdout);
    assert.equal(summary.get('etc/conf')?.uid, 1000);
  });
  for (const name of ['out.tar', 'out.tar.gz', 'out.tar.xz', 'out.tar.zst']) {
    await t.test(name, () => {
      const result = undocker(['rootfs', archive, 'example/app', join(work, name)]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(execTar(join(work, name)), /etc\/conf/);
    });
  }
  await t.test('-C DIR extracts into a new directory', () => {
    const target = join(work, 'dir');
    const result = undocker(['rootfs', single, '-C', target]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(join(target, 'etc/conf'), 'utf8'), 'a=2\n');
    assert.equal(statSync(join(target, 'etc/conf')).uid, 1000);
  });
  await t.test('--layer flattens only the named layers', async () => {
    const layers = JSON.parse(undocker(['layers', single, '--json']).stdout.toString()) as Array<{ id: string }>;
    const result = undocker(['rootfs', single, '--layer', (layers[0]?.id ?? '').slice(0, 10), '-']);
    assert.equal(result.status, 0, result.stderr);
    const summary = await summarizeTar(result.stdout);
    assert.equal(summary.get('etc/conf')?.uid, 0);
    assert.equal(summary.get('dev/null'), undefined);
  });
  await t.test('standard input in, standard output out', async () => {
    const result = undocker(['rootfs', '-', '-'], { input: readFileSync(single) });
    assert.equal(result.status, 0, result.stderr);
    assert.ok((await summarizeTar(result.stdout)).has('bin/app'));
  });
  await t.test('an OCI layout directory is an input too', () => {
    const result = undocker(['list', writeOciLayout([IMAGE])]);
    assert.equal(result.stdout.toString(), 'example/app: 1.0\n');
  });
});

/** execTar lists a tar with GNU tar, which picks the decompressor from the name, independently of undocker. */
function execTar(path: string): string {
  return execFileSync('tar', ['-tf', path], { encoding: 'utf8' });
}

test('wrong arguments fail with status 2, one line, and create nothing', async (t) => {
  const work = tempDir();
  const cases: Array<[string, string[], RegExp]> = [
    ['no command arguments', ['rootfs'], /missing required argument 'archive'/],
    ['no output', ['rootfs', single], /name an OUTPUT/],
    ['an output that is no tar name', ['rootfs', single, join(work, 'out.zip')], /OUTPUT must be -, or end in \.tar/],
    [
      'both an output and -C',
      ['rootfs', single, 'example/app', join(work, 'x.tar'), '-C', join(work, 'd')],
      /either an OUTPUT or -C DIR, not both/,
    ],
    ['an unknown option', ['list', single, '--bogus'], /unknown option '--bogus'/],
    ['an unknown command', ['flatten', single], /unknown command 'flatten'/],
    ['a malformed platform', ['config', single, '--platform', 'amd64'], /--platform amd64: expected os\/architecture/],
  ];
  for (const [name, args, message] of cases) {
    await t.test(name, () => {
      const result = undocker(args);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.split('\n').filter((l) => l.startsWith('undocker:')).length, 1);
      assert.deepEqual(readdirSync(work), []);
    });
  }
});

test('bad input fails with status 1, one line, no stack trace, nothing left', async (t) => {
  const work = tempDir();
  const junk = join(work, 'junk.tar');
  writeFileSync(junk, 'not a tar at all'.repeat(100));
  const cases: Array<[string, string[], RegExp]> = [
    ['not a tar', ['rootfs', junk, join(work, 'out.tar')], /^undocker: reading junk\.tar: not a tar archive\n$/],
    ['a missing file', ['list', join(work, 'nope.tar')], /^undocker: .*nope\.tar: no such file or directory\n$/],
    [
      'several images and none named',
      ['rootfs', archive, join(work, 'out.tar')],
      /^undocker: .*: archive holds 2 images: example\/app:1\.0, other:latest; name one\n$/,
    ],
    [
      'a tag that does not exist',
      ['config', archive, 'example/app:2.0'],
      /^undocker: .*: example\/app has no tag 2\.0; tags: 1\.0, latest\n$/,
    ],
    [
      'a layer that does not exist',
      ['rootfs', single, '--layer', 'ffffffff', join(work, 'out.tar')],
      /^undocker: --layer ffffffff: no layer of this image matches/,
    ],
    ['empty standard input', ['list', '-'], /^undocker: standard input: no data\n$/],
    [
      'an output folder that does not exist',
      ['rootfs', single, join(work, 'nowhere', 'out.tar')],
      /^undocker: cannot create .*nowhere\/out\.tar: .*nowhere is not an existing directory\n$/,
    ],
    [
      'a -C folder whose parent does not exist',
      ['rootfs', single, '-C', join(work, 'nowhere', 'dir')],
      /^undocker: cannot create .*nowhere\/dir: .*nowhere is not an existing directory\n$/,
    ],
  ];
  for (const [name, args, message] of cases) {
    await t.test(name, () => {
      const result = undocker(args, { input: Buffer.alloc(0) });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      assert.deepEqual(readdirSync(work), ['junk.tar']);
    });
  }
});

test('a non-empty target directory is refused unless --force, which replaces it', () => {
  const target = join(tempDir(), 'rootfs');
  mkdirSync(target);
  writeFileSync(join(target, 'precious'), 'keep');
  const refused = undocker(['rootfs', single, '-C', target]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /is not empty: choose an empty or new directory, or pass --force/);
  assert.ok(existsSync(join(target, 'precious')));
  const forced = undocker(['rootfs', single, '-C', target, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.ok(!existsSync(join(target, 'precious')) && existsSync(join(target, 'bin/app')));
});

test(
  'as a non-root user, ownership and devices fail unless --ignore-errors, which warns once per kind',
  { skip: process.getuid?.() !== 0 && 'needs root to switch user' },
  () => {
    const work = tempDir();
    chmodSync(work, 0o777);
    const asNobody = (args: string[]) =>
      spawnSyncAs(['--reuid=65534', '--regid=65534', '--clear-groups', UNDOCKER, ...args]);
    const strict = asNobody(['rootfs', single, '-C', join(work, 'strict')]);
    assert.equal(strict.status, 1);
    assert.match(
      strict.stderr,
      /^undocker: layer 1 \([0-9a-f]{12}\) of .*: bin: cannot give ownership 0:0 as uid 65534: run as root, or pass --ignore-errors to skip ownership\n$/,
    );
    assert.deepEqual(readdirSync(work), [], 'nothing left behind');
    const lenient = asNobody(['rootfs', single, '-C', join(work, 'lenient'), '--ignore-errors']);
    assert.equal(lenient.status, 0, lenient.stderr);
    assert.equal(lenient.stderr.match(/warning: skipping ownership/g)?.length, 1);
    assert.equal(lenient.stderr.match(/warning: skipping device nodes/g)?.length, 1);
    assert.equal(readFileSync(join(work, 'lenient/etc/conf'), 'utf8'), 'a=2\n');
  },
);

function spawnSyncAs(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync('setpriv', args, { env: { ...process.env, NO_COLOR: '1', TMPDIR: '/tmp' } });
  return { status: result.status, stderr: result.stderr.toString() };
}

test('an interrupt stops the run with status 130 and leaves no partial output', async () => {
  const work = tempDir();
  // Incompressible data written as .tar.xz: seconds of work, so the interrupt lands mid-run.
  const big = writeDockerSave([{ layers: [[{ path: 'big', content: randomBytes(64 * 1024 * 1024) }]] }]);
  const child = spawn(UNDOCKER, ['rootfs', big, join(work, 'out.tar.xz')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // Interrupt once the temporary output exists: the run is then provably under way.
  for (let i = 0; i < 400 && !readdirSync(work).some((name) => name.includes('undocker-tmp')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.ok(
    readdirSync(work).some((name) => name.includes('undocker-tmp')),
    'the run started writing',
  );
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.deepEqual(readdirSync(work), [], 'no output and no temporary file');
});

test('plain HTTP to a registry that is not this machine is said, then done as asked', () => {
  const cache = tempDir('undocker-cli-cache-');
  for (const args of [
    ['pull', '--insecure', 'registry.invalid:5000/app:1'],
    ['list', '--insecure', 'docker://registry.invalid:5000/app:1'],
  ]) {
    const result = undocker(args, { env: { UNDOCKER_CACHE: cache } });
    assert.equal(result.status, 1, args.join(' '));
    const lines = result.stderr.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^warning: registry\.invalid:5000: speaking plain HTTP/);
    assert.match(
      lines[1] ?? '',
      /^undocker: cannot reach registry\.invalid:5000 \(http:\/\/registry\.invalid:5000\): (no such host|the name does not resolve now|timed out)/,
    );
    assert.equal(lines.length, 2);
  }
  const local = undocker(['pull', '--insecure', '127.0.0.1:9/app:1'], { env: { UNDOCKER_CACHE: cache } }).stderr;
  assert.match(local, /^undocker: cannot reach 127\.0\.0\.1:9 /, 'loopback: no warning');
  execFileSync('rm', ['-rf', cache]);
});
