/**
 * The real Docker engine is the oracle for who a container's process is: a probe image built by
 * Docker (busybox, no getent, a named USER in extra groups) prints `id` and its credentials from
 * /proc/self/status, under `docker run` and under `undocker run` on systemd-nspawn and LXC, with
 * the same options; the outputs must be equal line for line. Docker's `--cap-add ALL` and
 * `--privileged` cannot start on a machine without CAP_SYS_RESOURCE (runc: "unable to apply
 * caps"), so those are checked against the host's bounding set instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import { buildImage, importBaseImage, startDockerEngine, type DockerEngine } from '../helpers/docker-engine.js';

const missing = ['systemd-nspawn', 'lxc-execute', 'dockerd'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const skip = process.getuid?.() !== 0 ? 'needs root' : missing.length > 0 ? `needs ${missing.join(', ')}` : false;

const PROBE = `FROM undocker-base:latest
RUN printf 'root:x:0:0:root:/root:/bin/sh\\napp:x:1000:1000:App:/home/app:/bin/sh\\n' > /etc/passwd \\
 && printf 'root:x:0:\\nwheel:x:10:root\\napp:x:1000:\\nextra:x:1500:app\\nstaff:x:50:app,other\\n' > /etc/group \\
 && printf '#!/bin/sh\\nid\\ncat /proc/self/limits\\nexec cat /proc/mounts /proc/self/status\\n' > /probe \\
 && chmod 755 /probe
USER app
ENTRYPOINT ["/probe"]
`;

/** CASES are docker run options, each run both ways. */
const CASES: string[][] = [
  [],
  ['-u', 'root'],
  ['-u', '1000'],
  ['-u', '1000:1000'],
  ['-u', '4242'],
  ['-u', 'app:wheel'],
  ['-u', '0:1500'],
  ['--cap-drop', 'ALL'],
  ['-u', 'root', '--cap-drop', 'ALL'],
  ['-u', 'root', '--cap-drop', 'ALL', '--cap-add', 'NET_BIND_SERVICE'],
  ['-u', 'root', '--cap-add', 'SYS_ADMIN'],
  ['-u', 'root', '--cap-drop', 'chown', '--cap-drop', 'CAP_KILL'],
  ['--security-opt', 'no-new-privileges'],
  ['-u', 'root', '--security-opt', 'no-new-privileges'],
  ['--tmpfs', '/scratch', '--tmpfs', '/sized:size=4m,mode=700', '--ulimit', 'nofile=512:1024', '--ulimit', 'nproc=100'],
  ['--shm-size', '8m'],
];

/**
 * WALLS are runs against limits, compared by exit status and output: memory past --memory is
 * OOM-killed (137), forks past --pids-limit fail. The command is busybox itself, so it is PID 1.
 */
const WALLS: string[][] = [
  [
    '--memory',
    '32m',
    '--entrypoint',
    '/bin/busybox',
    'probe:1',
    'dd',
    'if=/dev/zero',
    'of=/dev/null',
    'bs=64M',
    'count=1',
  ],
  [
    '--pids-limit',
    '20',
    '--entrypoint',
    '/bin/sh',
    'probe:1',
    '-c',
    'i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i+1)); done 2>&1 | head -n 1; echo done',
  ],
];

/** WORDS prints its arguments one per line, bracketed, so a newline inside one shows. */
const WORDS = `FROM probe:1
WORKDIR /srv/app
ENV V_SPACE="a b" V_DOLLAR='$HOME'
ENTRYPOINT ["/bin/busybox", "printf", "[%s]\\n"]
CMD ["it's \\"both\\"", "tab\\there", "new\\nline", "$HOME", "", " lead", "trail\\\\"]
`;

/** DEVICE_PROBE shows a --device node, reads and writes it: Docker allows /dev/zero whole, whatever :r says. */
const DEVICE_PROBE =
  'busybox stat -c "%F %t:%T %a" /dev/myzero; busybox head -c 3 /dev/myzero | busybox od -An -c; ' +
  'echo x > /dev/myzero && echo wrote || echo refused';

/** KMSG_PROBE tries to write a device Docker does not allow by itself: a :r --device refuses it. */
const KMSG_PROBE = 'busybox stat -c "%F %t:%T" /dev/mykmsg; echo x > /dev/mykmsg && echo wrote || echo refused';

/** PID_PROBE says whether the command is PID 1, and reaps a zombie: an init must, under --init. */
const PID_PROBE = 'test $$ = 1 && echo pid1 || echo child';

/** ENV_OPTIONS are values neither a .nspawn file nor an LXC config could hold, and a name sh cannot assign. */
const ENV_OPTIONS = ['-e', 'V_NL=a\nb', '-e', 'V.DOT=d', '-e', `V_Q=it's "q"`, '-e', 'PATH=/bin:/usr/bin'];

/**
 * SPOKEN are runs compared whole, stdout and status: argv, environment (order included) and working directory,
 * with the hostname set, since a container's own differs by design (docker's is its id).
 */
const SPOKEN: string[][] = [
  ['--hostname', 'h1', 'words:1'],
  ['--hostname', 'h1', ...ENV_OPTIONS, '--entrypoint', '/bin/busybox', 'words:1', 'env'],
  ['--hostname', 'h1', '-u', 'root', '-e', 'HOME=/x', '--entrypoint', '/bin/busybox', 'words:1', 'env'],
  ['--hostname', 'h1', '-t', '--entrypoint', '/bin/busybox', 'words:1', 'env'],
  ['--entrypoint', '/bin/busybox', 'words:1', 'pwd'],
  ['-w', '/tmp', '--entrypoint', '/bin/busybox', 'words:1', 'pwd'],
  ['--device', '/dev/zero:/dev/myzero:r', '--entrypoint', '/bin/sh', 'words:1', '-c', DEVICE_PROBE],
  ['--device', '/dev/zero:/dev/myzero', '--entrypoint', '/bin/sh', 'words:1', '-c', DEVICE_PROBE],
  ['-u', 'root', '--device', '/dev/kmsg:/dev/mykmsg:r', '--entrypoint', '/bin/sh', 'words:1', '-c', KMSG_PROBE],
];

/**
 * PID_ONE says whether the command is PID 1 and what PID 1 is. docker run --init is not asked: on the test's engine
 * (Docker 20.10 on vfs) its container's exit is lost every time, the output printed but docker run never returning,
 * so --init is checked against what docker-init is, an init at PID 1 with the command as its child.
 */
const PID_ONE = ['--entrypoint', '/bin/sh', 'words:1', '-c', PID_PROBE];

/**
 * inOrder is an env listing with the variables -e gave sorted among themselves: Docker 20.10 gives them in an order
 * that varies from run to run. PATH and HOSTNAME first, the image's after, HOME last are compared as they come.
 */
function inOrder(output: string, options: string[]): string {
  if (options.at(-1) !== 'env') return output;
  const given = new Set(options.flatMap((word, i) => (options[i - 1] === '-e' ? [word.split('=')[0]] : [])));
  // A variable starts a line with NAME=; a value's own newline does not.
  const variables = output.split(/\n(?=[A-Za-z_.][A-Za-z0-9_.]*=)/);
  const sorted = variables.filter((v) => given.has(v.split('=')[0]) && v.split('=')[0] !== 'PATH').sort();
  return variables
    .map((v) => (given.has(v.split('=')[0]) && v.split('=')[0] !== 'PATH' ? sorted.shift() : v))
    .join('\n');
}

/**
 * EXEC_CASES are `docker run -d` options and `docker exec` options into that container: exec's
 * process is compared as run's is. The container waits for its stop with a trap.
 */
const EXEC_CASES: Array<[string[], string[]]> = [
  [[], []],
  [[], ['-u', 'root']],
  [[], ['-u', '1000:1500']],
  [['-u', 'root', '--cap-drop', 'chown'], []],
  [['--security-opt', 'no-new-privileges'], []],
  [
    ['-u', 'root', '--security-opt', 'no-new-privileges'],
    ['-u', '1000'],
  ],
];
const WAITING = ['--entrypoint', '/bin/sh', 'probe:1', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'];
const execKey = ([run, exec]: [string[], string[]]): string => `${run.join(' ')} | ${exec.join(' ')}`;

/** LIMIT_LINES are /proc/self/limits' names of the limits the cases set; the others are each runtime's own. */
const LIMIT_LINES = /^(Max open files|Max processes) /;

/**
 * identity keeps what the probe printed about who it is and its walls: the id line, the status
 * lines of credentials, the limits a case sets, the case's tmpfs mounts and /dev/shm (sorted, and
 * without the atime flag: systemd-nspawn always mounts them strictatime).
 */
function identity(output: string, options: string[]): string {
  const lines = output.split('\n');
  const mounts = options.flatMap((option, i) => (options[i - 1] === '--tmpfs' ? [option.split(':')[0]] : []));
  return [
    ...lines.filter((line) => /^(uid=|Uid:|Gid:|Groups:|Cap(Inh|Prm|Eff|Bnd|Amb):|NoNewPrivs:)/.test(line)),
    ...(options.includes('--ulimit') ? lines.filter((line) => LIMIT_LINES.test(line)) : []),
    ...lines
      .filter((line) => mounts.some((path) => line.startsWith(`tmpfs ${path} `)))
      .map((line) => line.replace(',relatime', ''))
      .sort(), // Docker keeps --tmpfs in a map: its mount order varies from run to run
    // /dev/shm, the mount on top (systemd-nspawn's own stays listed beneath), its source name aside.
    ...lines
      .filter((line) => line.split(' ')[1] === '/dev/shm')
      .slice(-1)
      .map((line) => line.replace(',relatime', '').split(' ').slice(1).join(' ')),
  ].join('\n');
}

describe('undocker run gives the process docker run gives', { skip }, () => {
  let archive: string;
  /** expected holds docker run's answer for each case, asked before any undocker run: systemd-nspawn
   * runs in the test's cgroup, and Docker, started from here too, loses container exits when they mix. */
  const expected = new Map<string, string>();
  const walled = new Map<string, { status: number; stdout: string }>();
  const dockerExecs = new Map<string, string>();
  const archives = new Map<string, string>();
  const work = tempDir('undocker-parity-');
  const env = { UNDOCKER_CACHE: join(work, 'cache') };

  before(async () => {
    const engine: DockerEngine = await startDockerEngine();
    try {
      importBaseImage(engine);
      buildImage(engine, 'probe:1', PROBE);
      buildImage(engine, 'words:1', WORDS);
      archive = join(work, 'probe.tar');
      engine.docker(['save', '-o', archive, 'probe:1']);
      archives.set('probe:1', archive);
      archives.set('words:1', join(work, 'words.tar'));
      engine.docker(['save', '-o', join(work, 'words.tar'), 'words:1']);
      for (const options of CASES) {
        expected.set(
          options.join(' '),
          identity(engine.run(['--rm', '--network', 'none', ...options, 'probe:1']).stdout, options),
        );
      }
    } finally {
      await engine.stop();
    }
    // A second engine for the rest: one that has run some thirty containers here loses the exit of the next,
    // every time (Docker 20.10 on vfs), so no engine runs that many.
    const second: DockerEngine = await startDockerEngine();
    try {
      for (const saved of archives.values()) second.docker(['load', '-i', saved]);
      for (const options of [...WALLS, ...SPOKEN, PID_ONE])
        walled.set(options.join(' '), second.run(['--rm', '--network', 'none', ...options]));
      for (const [run, exec] of EXEC_CASES) {
        const id = second.docker(['run', '-d', '--network', 'none', ...run, ...WAITING]).trim();
        dockerExecs.set(execKey([run, exec]), identity(second.docker(['exec', ...exec, id, '/probe']), []));
        second.docker(['rm', '-f', id]);
      }
    } finally {
      await second.stop();
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const runtime of ['nspawn', 'lxc'] as const) {
    test(`${runtime}: ids, groups, capabilities, no_new_privs, tmpfs mounts and ulimits equal docker run's`, () => {
      for (const options of CASES) {
        const docker = expected.get(options.join(' ')) ?? '';
        assert.match(docker, /^uid=/, `docker run ${options.join(' ')} printed its identity`);
        const result = undocker(['run', '--runtime', runtime, ...options, archive], { env });
        assert.equal(result.status, 0, `${options.join(' ')}: ${result.stderr}`);
        assert.equal(
          identity(result.stdout.toString(), options),
          docker,
          `undocker run --runtime ${runtime} ${options.join(' ')}`,
        );
      }
    });

    test(`${runtime}: --privileged and --cap-add ALL give the host's whole bounding set`, () => {
      const host = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      for (const options of [['--privileged'], ['--cap-add', 'ALL']]) {
        const result = undocker(['run', '--runtime', runtime, '-u', 'root', ...options, archive], { env });
        assert.equal(result.status, 0, result.stderr);
        const shown = identity(result.stdout.toString(), options);
        assert.match(shown, new RegExp(`^CapBnd:\\s*${host}$`, 'm'), options.join(' '));
        assert.match(shown, new RegExp(`^CapEff:\\s*${host}$`, 'm'), options.join(' '));
      }
    });
  }

  /** ownersUnder lists every entry's owner and mode below `dir`, to show a run changed none. */
  function ownersUnder(dir: string): string {
    const listed = spawnSync('find', [dir, '-printf', '%U:%G %m %p\n'], { encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    return listed.stdout.split('\n').sort().join('\n');
  }

  /** rangeOf reads `0 START 65536` from a uid_map line and checks it is a block systemd-nspawn would pick. */
  function rangeOf(uidMap: string): number {
    const [inner, start, size] = uidMap.trim().split(/\s+/).map(Number);
    assert.deepEqual([inner, size], [0, 65536], `one range of 65536 ids: ${uidMap}`);
    assert.ok(start !== undefined && start >= 0x80000 && start < 0x6fff0000 && start % 65536 === 0, uidMap);
    return start;
  }

  /**
   * USERNS_CASES are CASES run again under --userns=auto (on a network of the container's own, as Docker's: on the
   * host's, a user namespace cannot bind low ports, and systemd-nspawn drops CAP_NET_BIND_SERVICE).
   */
  const USERNS_CASES = [[], ['-u', 'root'], ['-u', '1000:1000'], ['-u', 'app:wheel'], ['--cap-drop', 'ALL']];

  for (const runtime of ['nspawn', 'lxc'] as const) {
    test(`${runtime}: --userns=auto gives docker run's process as unprivileged host ids, the cache unchanged`, () => {
      const layers = join(env.UNDOCKER_CACHE, 'layers');
      assert.equal(undocker(['run', '-q', '--runtime', runtime, '--entrypoint', 'true', archive], { env }).status, 0);
      const before = ownersUnder(layers);
      const ranges = new Set<number>();
      for (const options of USERNS_CASES) {
        const auto = ['--userns', 'auto', '--network', 'none', '--runtime', runtime, '--rm'];
        const probe = ['--entrypoint', '/bin/sh', archive, '-c', 'cat /proc/self/uid_map; exec /probe'];
        const result = undocker(['run', ...auto, ...options, ...probe], { env });
        assert.equal(result.status, 0, `${options.join(' ')}: ${result.stderr}`);
        const output = result.stdout.toString();
        const start = rangeOf(output.split('\n')[0] ?? '');
        ranges.add(start);
        // By design: a tmpfs the container's root mounts is owned by it, which /proc/mounts gives as host ids.
        const shown = identity(output, options).replaceAll(`,uid=${start},gid=${start}`, '');
        assert.equal(shown, expected.get(options.join(' ')), `--userns auto ${options.join(' ')}`);
      }
      // Each run claims the block its name hashes to (or the next free one): random names spread them.
      assert.ok(ranges.size > 1, `different containers get different ranges: ${[...ranges].join(' ')}`);

      // What the container writes lands in its upper layer with the container's ids; volumes too; exec joins it.
      const name = `userns-${runtime}`;
      const write = 'touch /made && chown 1000:1500 /made && echo v > /data/v && chown 1000 /data/v; sleep 30';
      const volume = ['-v', `userns-vol-${runtime}:/data`];
      const started = undocker(
        ['run', '-d', '-q', '--userns', 'auto', '--runtime', runtime, '--name', name, ...volume, '-u', 'root'].concat([
          '--entrypoint',
          '/bin/sh',
          archive,
          '-c',
          write,
        ]),
        { env },
      );
      assert.equal(started.status, 0, started.stderr);
      try {
        const id = started.stdout.toString().trim();
        const inspected = JSON.parse(undocker(['inspect', name], { env }).stdout.toString()) as Array<{
          HostConfig: { UsernsMode: string };
        }>;
        assert.equal(inspected[0]?.HostConfig.UsernsMode, 'auto');
        const made = join(env.UNDOCKER_CACHE, 'containers', id, 'upper', 'made');
        const deadline = Date.now() + 20_000;
        while (!existsSync(made) && Date.now() < deadline) spawnSync('sleep', ['0.1']);
        const owners = spawnSync('stat', ['-c', '%u:%g', made], { encoding: 'utf8' }).stdout.trim();
        assert.equal(owners, '1000:1500', 'on disk, the owner the container gave');
        const exec = ['-u', '1000:1500'];
        const execed = undocker(['exec', ...exec, name, '/bin/sh', '-c', 'cat /proc/self/uid_map; exec /probe'], {
          env,
        });
        assert.equal(execed.status, 0, execed.stderr);
        const output = execed.stdout.toString();
        const start = rangeOf(output.split('\n')[0] ?? '');
        const shown = identity(output, []).replaceAll(`,uid=${start},gid=${start}`, '');
        assert.equal(shown, dockerExecs.get(execKey([[], exec])), 'docker exec -u 1000:1500');
        const volumeFile = join(env.UNDOCKER_CACHE, 'volumes', `userns-vol-${runtime}`, '_data', 'v');
        assert.equal(spawnSync('stat', ['-c', '%u:%g', volumeFile], { encoding: 'utf8' }).stdout.trim(), '1000:0');
      } finally {
        assert.equal(undocker(['rm', '-f', name], { env }).status, 0);
        undocker(['volume', 'rm', `userns-vol-${runtime}`], { env });
      }
      assert.equal(ownersUnder(layers), before, 'the cached layers are never chowned');
    });
  }

  /** undockerRun runs what docker ran: the same options, the image's archive in its place. */
  function undockerRun(runtime: string, options: string[]): { status: number | null; stdout: string } {
    const args = options.map((word) => archives.get(word) ?? word);
    const result = undocker(['run', '--runtime', runtime, ...args], { env });
    return { status: result.status, stdout: result.stdout.toString() };
  }

  for (const runtime of ['nspawn', 'lxc'] as const) {
    test(`${runtime}: --memory and --pids-limit stop what docker run stops, with its exit status`, () => {
      const [memory, pids] = WALLS.map((options) => walled.get(options.join(' ')));
      assert.equal(memory?.status, 137, 'docker run: dd past --memory is OOM-killed');
      assert.match(pids?.stdout ?? '', /can't fork/, 'docker run: forks past --pids-limit fail');
      for (const options of WALLS)
        assert.deepEqual(undockerRun(runtime, options), walled.get(options.join(' ')), options.join(' '));
    });

    test(`${runtime}: argv, environment and working directory equal docker run's, byte for byte`, () => {
      assert.match(walled.get(SPOKEN[0]!.join(' '))?.stdout ?? '', /^\[new\nline\]$/m, 'docker run printed the words');
      for (const options of SPOKEN) {
        const docker = walled.get(options.join(' '));
        // -t: a terminal turns \n into \r\n, and only systemd-nspawn gives the container one when undocker's own
        // output is a pipe, as here.
        const lines = (result?: { status: number | null; stdout: string }): object => ({
          ...result,
          stdout: inOrder(result?.stdout.replace(/\r\n/g, '\n') ?? '', options),
        });
        assert.deepEqual(lines(undockerRun(runtime, options)), lines(docker), options.join(' '));
      }
    });
  }

  test('nspawn: the command is PID 1 as under docker run; with --init an init is, and the command its child', () => {
    const docker = walled.get(PID_ONE.join(' '));
    assert.deepEqual(docker, { status: 0, stdout: 'pid1\n' }, 'docker run');
    assert.deepEqual(undockerRun('nspawn', PID_ONE), docker);
    const init = undockerRun('nspawn', ['--init', ...PID_ONE.slice(0, -1), `${PID_PROBE}; cat /proc/1/comm`]);
    assert.deepEqual(init, { status: 0, stdout: 'child\n(sd-stubinit)\n' }, "systemd-nspawn's stub init");
  });

  test("lxc: lxc-execute's init is always PID 1, by design, so the command is its child with or without --init", () => {
    for (const options of [PID_ONE, ['--init', ...PID_ONE]])
      assert.deepEqual(undockerRun('lxc', options), { status: 0, stdout: 'child\n' }, options.join(' '));
  });

  /** WRITTEN_CASES are cases without -u: what install and lxc-template take, as run does (CASES has each). */
  for (const runtime of ['nspawn', 'lxc'] as const) {
    test(`${runtime}: exec into a running container gives the process docker exec gives`, () => {
      for (const [run, exec] of EXEC_CASES) {
        const docker = dockerExecs.get(execKey([run, exec])) ?? '';
        assert.match(docker, /^uid=/, `docker exec ${execKey([run, exec])} printed its identity`);
        const name = `exec-${runtime}`;
        const args = WAITING.map((word) => archives.get(word) ?? word);
        const started = undocker(['run', '-d', '-q', '--runtime', runtime, '--name', name, ...run, ...args], { env });
        assert.equal(started.status, 0, started.stderr);
        try {
          const result = undocker(['exec', ...exec, name, '/probe'], { env });
          assert.equal(result.status, 0, result.stderr);
          assert.equal(identity(result.stdout.toString(), []), docker, `undocker exec ${execKey([run, exec])}`);
        } finally {
          assert.equal(undocker(['rm', '-f', name], { env }).status, 0);
        }
      }
    });
  }

  const WRITTEN_CASES = [
    [],
    ['--cap-drop', 'ALL'],
    ['--security-opt', 'no-new-privileges'],
    [
      '--tmpfs',
      '/scratch',
      '--tmpfs',
      '/sized:size=4m,mode=700',
      '--ulimit',
      'nofile=512:1024',
      '--ulimit',
      'nproc=100',
    ],
    ['--shm-size', '8m'],
  ];

  test("an installed machine runs its USER without getent, with docker run's groups and capabilities", () => {
    const machines = join(work, 'machines');
    const args = ['--quiet', '--register=no', '--keep-unit', '--console=pipe', '--settings=trusted'];
    for (const options of WRITTEN_CASES) {
      const places = ['--machines-dir', machines, '--nspawn-dir', machines];
      const installed = undocker(['install', archive, '--name', 'probe', '--force', ...places, ...options]);
      assert.equal(installed.status, 0, installed.stderr);
      const result = spawnSync('systemd-nspawn', [...args, '-D', join(machines, 'probe')], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(identity(result.stdout, options), expected.get(options.join(' ')), options.join(' '));
    }
    const unpacked = undocker(['rootfs', archive, '-C', join(work, 'plain')]);
    assert.equal(unpacked.status, 0, unpacked.stderr);
    assert.equal(existsSync(join(work, 'plain', '.undocker')), false, 'the helper is never part of the image');
  });

  test('an installed machine with --userns auto runs as host ids systemd-nspawn picks, its tree unchowned', () => {
    const machines = join(work, 'machines-userns');
    const args = ['--quiet', '--register=no', '--keep-unit', '--console=pipe', '--settings=trusted'];
    for (const options of [[], ['--cap-drop', 'ALL']]) {
      // A network of its own, as docker's: on the host's, nspawn drops CAP_NET_BIND_SERVICE in a user namespace.
      const places = ['--machines-dir', machines, '--nspawn-dir', machines, '--userns', 'auto', '--network', 'none'];
      const installed = undocker(['install', archive, '--name', 'probe', '--force', ...places, ...options]);
      assert.equal(installed.status, 0, installed.stderr);
      const tree = join(machines, 'probe');
      const before = ownersUnder(tree);
      const result = spawnSync('systemd-nspawn', [...args, '-D', tree], { encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      const shown = identity(result.stdout, options);
      // The container's root owns its /dev/shm, which /proc/mounts gives in host ids: proof of the range.
      const start = Number(/,uid=(\d+),gid=\1 /.exec(shown)?.[1]);
      assert.ok(start >= 0x80000 && start % 65536 === 0, `a picked range: ${shown}`);
      assert.equal(shown.replace(`,uid=${start},gid=${start}`, ''), expected.get(options.join(' ')), options.join(' '));
      // systemd-nspawn adds mount points (/proc, /sys, …); what was there keeps its owner and mode.
      const now = new Set(ownersUnder(tree).split('\n'));
      assert.deepEqual(
        before.split('\n').filter((line) => !now.has(line)),
        [],
        'the tree is idmapped, never chowned',
      );
    }
    const lxc = undocker(['install', archive, '--runtime', 'lxc', '--userns', 'auto', '--name', 'p']);
    assert.equal(lxc.status, 2);
    assert.match(lxc.stderr, /^undocker: install --runtime lxc: --userns auto is for systemd-nspawn machines .*\n$/);
  });

  test("a container from lxc-template runs as docker run's process under lxc-execute", () => {
    const lxcPath = join(work, 'lxc');
    const netConfig = join(work, 'lxc-net.conf');
    writeFileSync(netConfig, 'lxc.net.0.type = none\n');
    for (const [index, options] of WRITTEN_CASES.entries()) {
      const name = `probe${index}`;
      const made = undocker(['lxc-template', archive, join(work, `template${index}`), '--name', name, ...options]);
      assert.equal(made.status, 0, made.stderr);
      const create = made.stdout.toString().trim().split(' ');
      const created = spawnSync('lxc-create', ['-P', lxcPath, '-f', netConfig, ...create.slice(1)], {
        encoding: 'utf8',
      });
      assert.equal(created.status, 0, created.stderr);
      try {
        const result = spawnSync('lxc-execute', ['-P', lxcPath, '-n', name], { encoding: 'utf8' });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(identity(result.stdout, options), expected.get(options.join(' ')), options.join(' '));
      } finally {
        spawnSync('lxc-destroy', ['-P', lxcPath, '-n', name, '-f']);
      }
    }
  });

  test('a capability that does not exist fails before anything runs, with one line', () => {
    const result = undocker(['run', '--cap-add', 'FLY', archive], { env });
    assert.equal(result.status, 125);
    assert.equal(
      result.stderr.toString(),
      'undocker: --cap-add FLY: unknown capability; capabilities(7) lists them, as CAP_NAME or NAME\n',
    );
  });
});
