/**
 * `undocker run`, `install` and the cache commands on the real runtimes: the show image's
 * entrypoint reports argv, environment, directory and ids, run by systemd-nspawn and by
 * lxc-execute, with docker run's overrides; volumes, exit statuses, a stop by signal, the
 * cache's reuse and consistency, and installed machines and containers started by the runtimes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RECENT_MS } from '../../src/cache/archive-memo.js';
import { containerDirs } from '../../src/cache/container-dirs.js';
import { overlayExecProgram } from '../../src/host/c-helpers.js';
import { inOverlay } from '../../src/launch/overlay.js';
import { runContainer } from '../../src/launch/run-container.js';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { UNDOCKER, undocker } from '../helpers/cli.js';
import { parseShowReport, REPORT_FILE, writeShowImage } from '../helpers/show-image.js';

const missing = ['systemd-nspawn', 'lxc-execute'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const skip = process.getuid?.() !== 0 ? 'needs root' : missing.length > 0 ? `needs ${missing.join(', ')}` : false;

const work = tempDir('undocker-run-');
const cache = join(work, 'cache');
const env = { UNDOCKER_CACHE: cache };
after(() => rmSync(work, { recursive: true, force: true }));

const SHOW = {
  Entrypoint: ['/show', 'first arg'],
  Cmd: ['c 1'],
  Env: ['FROM_IMAGE=img', 'OVER=image'],
  WorkingDir: '/work',
  User: 'app',
  StopSignal: 'SIGINT',
};
const RUNTIMES = ['nspawn', 'lxc'] as const;

function run(
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = undocker(['run', ...args], { env: { ...env, ...options.env } });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr };
}

function cachedImages(): Array<{ id: string; names: string[]; layers?: string[] }> {
  return JSON.parse(undocker(['images', '--json'], { env }).stdout.toString()) as Array<{
    id: string;
    names: string[];
    layers?: string[];
  }>;
}

/** diffOf is the folder of one layer of the run cache's layer store. */
function diffOf(chainId: string | undefined): string {
  return join(cache, 'layers', (chainId ?? '').replace('sha256:', ''), 'diff');
}

/** unpacking tells whether a run is making a diff in the layer store. */
function unpacking(): boolean {
  return existsSync(join(cache, 'layers')) && readdirSync(join(cache, 'layers')).some((n) => n.startsWith('.unpack-'));
}

describe('undocker run on the real runtimes', { skip }, () => {
  const image = skip ? '' : writeShowImage(SHOW as never, 'show:run');

  for (const runtime of RUNTIMES) {
    test(`${runtime}: the image's command, environment, directory and user, as docker run gives them`, () => {
      const result = run(['--runtime', runtime, '--name', `plain-${runtime}`, image]);
      assert.equal(result.status, 0, result.stderr);
      const report = parseShowReport(result.stdout);
      assert.deepEqual(report.args, ['first arg', 'c 1']);
      assert.equal(report.env.get('FROM_IMAGE'), 'img');
      assert.equal(report.env.get('HOME'), '/home/app');
      assert.equal(report.env.get('HOSTNAME'), `plain-${runtime}`);
      assert.equal(report.cwd, '/work');
      assert.equal(report.ids, '1000 1000 1000 1500');
    });

    test(`${runtime}: command, env, env-file, workdir, user and hostname overridden`, () => {
      const envFile = join(work, `${runtime}.env`);
      writeFileSync(envFile, '# comment\nFROM_FILE=file value\nOVER=file\n');
      const result = run(
        [
          '--runtime',
          runtime,
          '--env-file',
          envFile,
          '-e',
          'OVER=cli',
          '-e',
          'SPACED=a b "c" $d',
          '-e',
          'HOST_VALUE',
          '-w',
          '/tmp',
          '-u',
          'root',
          '--hostname',
          'other',
          image,
          'x y',
          '$HOME',
          "it's",
        ],
        { env: { HOST_VALUE: 'from host' } },
      );
      assert.equal(result.status, 0, result.stderr);
      const report = parseShowReport(result.stdout);
      assert.deepEqual(report.args, ['first arg', 'x y', '$HOME', "it's"], 'a given command replaces Cmd only');
      assert.equal(report.env.get('OVER'), 'cli', '-e wins over --env-file, which wins over the image');
      assert.equal(report.env.get('FROM_FILE'), 'file value');
      assert.equal(report.env.get('SPACED'), 'a b "c" $d');
      assert.equal(report.env.get('HOST_VALUE'), 'from host');
      assert.equal(report.env.get('HOME'), '/root');
      assert.equal(report.env.get('HOSTNAME'), 'other');
      assert.equal(report.cwd, '/tmp');
      assert.equal(report.ids, '0 0 0');
    });

    test(`${runtime}: --entrypoint replaces Entrypoint and Cmd; the exit status passes through`, () => {
      const echoed = run(['--runtime', runtime, '--entrypoint', '/bin/echo', image, 'only', 'this']);
      assert.equal(echoed.status, 0, echoed.stderr);
      assert.equal(echoed.stdout, 'only this\n');
      const failed = run(['--runtime', runtime, '--entrypoint', '/bin/sh', image, '-c', 'exit 7']);
      assert.equal(failed.status, 7, failed.stderr);
    });

    test(`${runtime}: a volume is written inside and read on the host; :ro refuses writes`, () => {
      const volume = join(work, `volume-${runtime}`);
      mkdirSync(volume);
      const wrote = run([
        '--runtime',
        runtime,
        '-u',
        '0',
        '-v',
        `${volume}:/data`,
        '--entrypoint',
        '/bin/sh',
        image,
        '-c',
        'echo "from $(hostname)" > /data/out',
      ]);
      assert.equal(wrote.status, 0, wrote.stderr);
      assert.match(readFileSync(join(volume, 'out'), 'utf8'), /^from show-/);
      const readOnly = run([
        '--runtime',
        runtime,
        '-u',
        '0',
        '-v',
        `${volume}:/data:ro`,
        '--entrypoint',
        '/bin/sh',
        image,
        '-c',
        'echo x > /data/other',
      ]);
      assert.notEqual(readOnly.status, 0);
      assert.equal(existsSync(join(volume, 'other')), false);
    });

    test(`${runtime}: --read-only refuses writes to the root file system; volumes and --tmpfs still mount`, () => {
      // Their mount points are where the image has nothing: the run's overlay gets them, as runc makes Docker's.
      const script =
        'echo v > /srv/data/x/f && test -d /scratch || exit 5; if touch /x 2>/dev/null; then exit 3; fi; exit 4';
      for (const userns of ['host', 'auto']) {
        const mounts = ['-v', `ro-${runtime}:/srv/data/x`, '--tmpfs', '/scratch'];
        const options = ['--rm', '--runtime', runtime, '--read-only', '--userns', userns, ...mounts, '-u', '0'];
        const result = run([...options, '--entrypoint', '/bin/sh', image, '-c', script]);
        assert.equal(result.status, 4, `--userns ${userns}: ${result.stderr}`);
        assert.equal(undocker(['volume', 'rm', `ro-${runtime}`], { env }).status, 0);
      }
    });

    test(`${runtime}: SIGTERM stops the container with the image's StopSignal and exits 143`, async () => {
      const volume = join(work, `stop-${runtime}`);
      mkdirSync(volume);
      const before = undocker(['ps', '-a', '-q'], { env }).stdout.toString().split('\n').length;
      const script =
        'trap "echo stopped by INT > /data/stopped; exit 0" INT; echo started; while :; do sleep 0.1; done';
      const child = spawn(
        UNDOCKER,
        [
          'run',
          '--runtime',
          runtime,
          '-u',
          '0',
          '-v',
          `${volume}:/data`,
          '--entrypoint',
          '/bin/sh',
          image,
          '-c',
          script,
        ],
        {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('started')) resolve();
        }),
      );
      child.kill('SIGTERM');
      assert.equal(await exited, 143, stderr);
      assert.equal(
        readFileSync(join(volume, 'stopped'), 'utf8'),
        'stopped by INT\n',
        'the container got SIGINT, its StopSignal',
      );
      assert.equal(
        undocker(['ps', '-a', '-q'], { env }).stdout.toString().split('\n').length,
        before + 1,
        'the container stays after its stop, as docker run leaves it',
      );
    });
  }

  test(
    'an undocker killed with SIGKILL leaves no mount; ps shows the container Up while it runs, then Exited ' +
      '(unknown), never Up; its image stays until rm',
    async () => {
      // A cache of its own: prune here must not empty the cache the other tests share.
      const killEnv = { UNDOCKER_CACHE: join(work, 'kill-cache') };
      const waiter = join(work, 'killed-fifo');
      spawnSync('mkfifo', [waiter]);
      // The container waits on a fifo in a volume, so the test decides when it ends.
      const child = spawn(
        UNDOCKER,
        [
          'run',
          '--name',
          'killed',
          '-u',
          '0',
          '-v',
          `${work}:/w`,
          '--entrypoint',
          '/bin/sh',
          image,
          '-c',
          'echo started; cat /w/killed-fifo',
        ],
        {
          env: { ...process.env, ...killEnv },
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('started')) resolve();
        }),
      );
      const ps = (): string => undocker(['ps', '-a', '--json'], { env: killEnv }).stdout.toString();
      const id = (JSON.parse(ps()) as { ID: string }).ID;
      const [dir = ''] = readdirSync(join(killEnv.UNDOCKER_CACHE, 'containers')).filter((d) => d.startsWith(id));
      const merged = join(killEnv.UNDOCKER_CACHE, 'containers', dir, 'merged');
      const mounted = (): boolean => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${merged} `);
      assert.equal(mounted(), false, "the overlay is mounted in the runtime's namespace, not the host's");
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      assert.match(ps(), /"Status":"Up /, 'its runtime still runs: that is the truth');
      const rmi = undocker(['rmi', 'show:run'], { env: killEnv });
      assert.equal(rmi.status, 1, 'the container uses its image');
      assert.match(rmi.stderr, /in use by container killed: remove it first \(undocker rm\)/);
      spawnSync('sh', ['-c', `echo end > ${waiter}`], { timeout: 10_000 });
      for (let i = 0; i < 200 && ps().includes('"Status":"Up'); i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.match(ps(), /"Status":"Exited \(unknown\)"/, 'nobody saw its exit status');
      assert.equal(mounted(), false);
      assert.equal(undocker(['rm', 'killed'], { env: killEnv }).status, 0);
      assert.match(undocker(['prune'], { env: killEnv }).stdout.toString(), /removed show:run/);
      assert.deepEqual(readdirSync(join(killEnv.UNDOCKER_CACHE, 'images')), [], 'and then the image no container uses');
      assert.deepEqual(readdirSync(join(killEnv.UNDOCKER_CACHE, 'layers')), [], 'and its layers');
    },
  );

  for (const [how, helper] of [
    ['overlay-exec', overlayExecProgram()],
    ['unshare, sh and mount (no C compiler at build)', undefined],
  ] as const)
    test(`an overlay that cannot be mounted fails the launch with one line, before the runtime (${how})`, async () => {
      if (how === 'overlay-exec') assert.ok(helper, 'the build compiled overlay-exec');
      const dirs = containerDirs(join(work, 'mount-cache'), 'unmountable', 'unmountable');
      for (const dir of [dirs.upper, dirs.work, dirs.merged]) mkdirSync(dir, { recursive: true });
      const started = join(work, 'runtime-started');
      const launch = {
        runtime: 'nspawn' as const,
        program: 'touch',
        args: [started],
        stopSignal: 'SIGTERM',
        stopTimeout: 1,
        interactive: false,
      };
      const lower = { dir: work, stack: { base: work, lowerdir: 'no-such-lower' } };
      try {
        await assert.rejects(
          runContainer(await inOverlay(launch, lower, dirs, undefined, undefined, helper), AbortSignal.timeout(10_000)),
          {
            code: 'UNDOCKER_FS_REFUSED',
            message: /^cannot mount the overlay for container unmountable: mount: [^\n]+$/,
          },
        );
        assert.equal(existsSync(started), false);
      } finally {
        rmSync(dirs.dir, { recursive: true, force: true });
      }
    });

  test('an image of one static binary (no /usr) runs under systemd-nspawn; the cache keeps it as built', () => {
    const bare = writeDockerSave([
      {
        layers: [[{ path: 'busybox', content: readFileSync('/bin/busybox'), mode: 0o755 }]],
        tags: ['bare:1'],
        config: { Entrypoint: ['/busybox', 'echo'], Cmd: ['static'] },
      },
    ]);
    const result = run([bare]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'static\n');
    const [record] = cachedImages().filter((r) => r.names.includes('bare:1'));
    assert.deepEqual(readdirSync(diffOf(record?.layers?.[0])), ['busybox']);
  });

  test('runs reuse the one cached tree and never change it; a container keeps its changes until rm', () => {
    const [record] = cachedImages().filter((r) => r.names.includes('show:run'));
    assert.ok(record !== undefined, 'the first run cached the image');
    const rootfs = diffOf(record.layers?.[record.layers.length - 1]);
    const inode = statSync(rootfs).ino;
    // The image's two diffs, stacked: the top layer's passwd, and its whiteout hides the base's motd.
    const stacked = ['--entrypoint', '/bin/sh', image, '-c', 'test -e /etc/motd && exit 3; grep -q ^app: /etc/passwd'];
    assert.equal(run(['--rm', ...stacked]).status, 0);
    const touch = ['--entrypoint', '/bin/sh', '-u', '0', image, '-c', 'touch /made-by-run'];
    assert.equal(run(['--rm', ...touch]).status, 0);
    assert.equal(existsSync(join(rootfs, 'made-by-run')), false, 'the cached tree is not written');
    const probe = ['--entrypoint', '/bin/sh', image, '-c', 'if test -e /made-by-run; then exit 3; else exit 4; fi'];
    assert.equal(run(['--rm', ...probe]).status, 4, 'the next run starts from the image');
    assert.equal(statSync(rootfs).ino, inode, 'the same cached tree');
    assert.equal(cachedImages().filter((r) => r.id === record.id).length, 1);

    const keeper = ['--name', 'keeper', '--entrypoint', '/bin/sh', '-u', '0', image, '-c'];
    assert.equal(run([...keeper, 'test -e /made-by-run && exit 3; touch /made-by-run']).status, 0);
    const again = undocker(['start', '--attach', 'keeper'], { env });
    assert.equal(again.status, 3, `the container's own changes are there at its next start: ${again.stderr}`);
    const taken = run([...keeper, 'true']);
    assert.equal(taken.status, 125);
    assert.match(taken.stderr, /the container name keeper is already in use by container [0-9a-f]{12}: remove it/);
    const rmi = undocker(['rmi', 'show:run'], { env });
    assert.equal(rmi.status, 1);
    assert.match(rmi.stderr, /show:run is in use by \d+ containers \([^)]+ and \d+ more\): remove them first/);
    assert.equal(undocker(['rm', 'keeper'], { env }).status, 0);
    assert.equal(undocker(['start', 'keeper'], { env }).status, 1, 'rm removed it');
  });

  test('a warm run reads what the cache remembers of the archive; one rewritten in place is read again', async () => {
    const path = join(work, 'rewritten.tar');
    const write = async (status: number): Promise<string> => {
      renameSync(writeShowImage({ Entrypoint: ['/bin/sh', '-c', `exit ${status}`] } as never, 'rewritten:1'), path);
      await sleep(RECENT_MS); // a file written a moment ago is not remembered
      const { dev, ino } = statSync(path);
      return join(cache, 'archives', `${dev}-${ino}.json`);
    };
    const first = await write(3);
    assert.equal(run(['--rm', path]).status, 3);
    assert.ok(existsSync(first), 'remembered');
    assert.equal(run(['--rm', path]).status, 3, 'recalled');
    // The same path, another file: read again, and its own config runs.
    const second = await write(4);
    assert.notEqual(second, first);
    assert.equal(run(['--rm', path]).status, 4);
    assert.ok(existsSync(second));
    assert.equal(run(['--rm', path]).status, 4);
  });

  test('two first runs of one image at once share one set of diffs', async () => {
    const twin = writeShowImage({ ...SHOW, Env: ['TWIN=1'] } as never, 'twin:1');
    const start = (): Promise<number | null> =>
      new Promise((resolve) => {
        spawn(UNDOCKER, ['run', '--entrypoint', '/bin/true', twin], {
          env: { ...process.env, ...env },
          stdio: 'ignore',
        }).once('exit', resolve);
      });
    assert.deepEqual(await Promise.all([start(), start()]), [0, 0]);
    const [record] = cachedImages().filter((r) => r.names.includes('twin:1'));
    assert.ok(record?.layers !== undefined);
    for (const chainId of record.layers) assert.ok(existsSync(diffOf(chainId)), `layer ${chainId}`);
    assert.equal(unpacking(), false, 'no half-made diff is left');
  });

  test('a first run interrupted while unpacking leaves the cache consistent', async () => {
    const files = Array.from({ length: 30_000 }, (_, i) => ({ path: `many/f${i}`, content: `file ${i}\n` }));
    const many = writeDockerSave([
      {
        layers: [
          [
            { path: 'bin/' },
            { path: 'bin/true', content: readFileSync('/bin/busybox'), mode: 0o755 },
            { path: 'many/' },
            ...files,
          ],
        ],
        tags: ['many:1'],
        config: { Cmd: ['/bin/true'] },
      },
    ]);
    const child = spawn(UNDOCKER, ['run', many], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 400 && !unpacking(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.ok(unpacking(), 'the run started unpacking');
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    assert.ok(!cachedImages().some((r) => r.names.includes('many:1')), 'no half-unpacked image is listed');
    assert.ok(!unpacking(), 'no half-made diff is left');
    assert.ok(
      !readdirSync(join(cache, 'containers')).some((name) => name.startsWith('.new-')),
      'no half-made container is left',
    );
    assert.doesNotMatch(undocker(['ps', '-a'], { env }).stdout.toString(), /many:1/, 'and none is listed');
    const pruned = undocker(['prune'], { env });
    assert.match(pruned.stdout.toString(), /removed leftover [0-9a-f]{12}/);
    const again = run([many]);
    assert.equal(again.status, 0, again.stderr);
  });

  test('failures before the start exit 125 with one line: not root, runtime missing, bad flags', () => {
    const nobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', UNDOCKER, 'run', image], {
      env: { ...process.env, UNDOCKER_CACHE: join(work, 'nobody-cache') },
      encoding: 'utf8',
    });
    assert.equal(nobody.status, 125);
    assert.match(
      nobody.stderr,
      /undocker run needs root: systemd-nspawn and the overlay mount of the cached image need it; run it with sudo/,
    );
    const bin = join(work, 'bin-node-only');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const noNspawn = run([image], { env: { PATH: bin } });
    assert.equal(noNspawn.status, 125);
    assert.match(
      noNspawn.stderr,
      /^undocker: systemd-nspawn not found: install the systemd-container package, or use --runtime lxc\n$/,
    );
    assert.match(
      run(['--runtime', 'lxc', image], { env: { PATH: bin } }).stderr,
      /lxc-execute not found: install the lxc package/,
    );
    for (const args of [
      ['--bogus', image],
      ['--keep', image],
      ['-p', '80', image],
      ['--network', 'bridge', image],
      ['-v', './rel:/x', image],
      [join(work, 'missing.tar')],
    ]) {
      const result = run(args);
      assert.equal(result.status, 125, args.join(' '));
      assert.equal(result.stderr.trim().split('\n')[0]?.startsWith('undocker: '), true, result.stderr);
    }
  });
});

describe('undocker install on the real runtimes', { skip }, () => {
  const image = skip
    ? ''
    : writeShowImage({ ...SHOW, Entrypoint: ['/show', 'installed'], Cmd: ['arg'] } as never, 'show:install');

  test('install makes a machine systemd-nspawn -M runs; uninstall removes it and nothing else', () => {
    const name = `undocker-test-${process.pid}`;
    after(() => undocker(['uninstall', name]));
    const installed = undocker(['install', image, '--name', name]);
    assert.equal(installed.status, 0, installed.stderr);
    assert.ok(existsSync(`/var/lib/machines/${name}/show`));
    assert.match(readFileSync(`/etc/systemd/nspawn/${name}.nspawn`, 'utf8'), /^Boot=no$/m);
    const again = undocker(['install', image, '--name', name]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /machine undocker-test-\d+ exists .* pass --force/);
    assert.equal(undocker(['install', image, '--name', name, '--force']).status, 0);
    const result = spawnSync(
      'systemd-nspawn',
      ['--quiet', '--register=no', '--keep-unit', '--console=pipe', '-M', name],
      { encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
    const report = parseShowReport(result.stdout);
    assert.deepEqual(report.args, ['installed', 'arg']);
    assert.equal(report.ids, '1000 1000 1000 1500');
    const removed = undocker(['uninstall', name]);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(existsSync(`/var/lib/machines/${name}`), false);
    assert.equal(existsSync(`/etc/systemd/nspawn/${name}.nspawn`), false);
  });

  test('--machines-dir and --nspawn-dir move the machine; what undocker did not write is left alone', () => {
    const machines = join(work, 'machines');
    const installed = undocker([
      'install',
      image,
      '--name',
      'moved',
      '--machines-dir',
      machines,
      '--nspawn-dir',
      machines,
    ]);
    assert.equal(installed.status, 0, installed.stderr);
    // The settings beside the image, trusted: what systemd-nspawn reads for -D.
    const result = spawnSync(
      'systemd-nspawn',
      [
        '--quiet',
        '--register=no',
        '--keep-unit',
        '--console=pipe',
        '--settings=trusted',
        '-D',
        join(machines, 'moved'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(parseShowReport(result.stdout).args, ['installed', 'arg']);
    mkdirSync(join(machines, 'foreign'));
    writeFileSync(join(machines, 'foreign.nspawn'), '[Exec]\nBoot=yes\n');
    const refused = undocker([
      'uninstall',
      'foreign',
      '--machines-dir',
      machines,
      '--nspawn-dir',
      machines,
      '--lxcpath',
      join(work, 'no-lxc'),
    ]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /foreign.nspawn was not written by undocker: leaving machine foreign alone/);
    assert.ok(existsSync(join(machines, 'foreign')));
    assert.equal(undocker(['uninstall', 'moved', '--machines-dir', machines, '--nspawn-dir', machines]).status, 0);
    assert.deepEqual(readdirSync(machines).sort(), ['foreign', 'foreign.nspawn']);
    const none = undocker([
      'uninstall',
      'moved',
      '--machines-dir',
      machines,
      '--nspawn-dir',
      machines,
      '--lxcpath',
      join(work, 'no-lxc'),
    ]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /nothing named moved was installed/);
  });

  test('install --runtime lxc makes a container lxc-start runs; uninstall destroys it', () => {
    const lxcPath = join(work, 'lxc');
    mkdirSync(lxcPath);
    const installed = undocker(['install', image, '--runtime', 'lxc', '--name', 'showinst', '--lxcpath', lxcPath]);
    assert.equal(installed.status, 0, installed.stderr);
    assert.match(installed.stdout.toString(), /lxc-start -P \S+ -n showinst/);
    assert.match(
      readFileSync(join(lxcPath, 'showinst', 'config'), 'utf8'),
      /^lxc\.net\.0\.type = none$/m,
      "the host's network",
    );
    const started = spawnSync('lxc-start', ['-P', lxcPath, '-n', 'showinst', '-F'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(started.status, 0, started.stderr);
    const report = parseShowReport(readFileSync(join(lxcPath, 'showinst', 'rootfs', REPORT_FILE), 'utf8'));
    assert.deepEqual(report.args, ['installed', 'arg']);
    assert.equal(report.ids, '1000 1000 1000 1500');
    mkdirSync(join(lxcPath, 'other'));
    writeFileSync(join(lxcPath, 'other', 'config'), 'lxc.uts.name = other\n');
    const refused = undocker(['uninstall', 'other', '--lxcpath', lxcPath]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /LXC container other .* was not made by undocker: leaving it alone/);
    assert.equal(undocker(['uninstall', 'showinst', '--lxcpath', lxcPath]).status, 0);
    assert.deepEqual(readdirSync(lxcPath), ['other']);
  });
});
