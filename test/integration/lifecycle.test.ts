/**
 * Containers that keep running, on the real runtimes (systemd-nspawn and LXC): run -d under a
 * monitor, ps, logs (-f), exec, stop with the image's StopSignal, start with the container's
 * earlier changes, rm and volumes, restart policies with docker's backoff, a monitor killed with
 * SIGKILL, two starts at once, and the systemd units run as systemd would run them. The probe
 * image prints a counter line every 100 ms (and one on stderr) and traps its StopSignal.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isLiving, type ProcessIdentity } from '../../src/host/process-identity.js';
import { tempDir, writeDockerSave } from '../helpers/archives.js';
import { UNDOCKER, undocker } from '../helpers/cli.js';
import { showImageLayers } from '../helpers/show-image.js';

const missing = ['systemd-nspawn', 'lxc-execute', 'lxc-attach', 'nsenter', 'systemd-analyze'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const skip = process.getuid?.() !== 0 ? 'needs root' : missing.length > 0 ? `needs ${missing.join(', ')}` : false;

const work = tempDir('undocker-lifecycle-');
const env = { UNDOCKER_CACHE: join(work, 'cache') };
after(() => {
  // Whatever a failed test left running.
  for (const line of u(['ps', '-aq']).stdout.split('\n').filter(Boolean)) u(['rm', '-f', '-v', line]);
  rmSync(work, { recursive: true, force: true });
});

const COUNTER =
  'trap "echo stopped by USR1; exit 7" USR1; i=0; ' +
  'while :; do i=$((i+1)); echo "count $i"; echo "err $i" >&2; sleep 0.1; done';

const probe = skip
  ? ''
  : writeDockerSave([
      {
        layers: [showImageLayers(), [{ path: 'data/' }, { path: 'data/seed', content: 'from image' }]],
        tags: ['counter:1'],
        config: {
          Entrypoint: ['/bin/sh', '-c'],
          Cmd: [COUNTER],
          Env: ['PROBE=probe value'],
          StopSignal: 'SIGUSR1',
          Volumes: { '/data': {} },
        },
      },
    ]);

function u(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = undocker(args, { env });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr };
}

interface PsRow {
  ID: string;
  Names: string;
  Status: string;
  State: string;
  Runtime: string;
}

function ps(): PsRow[] {
  return u(['ps', '-a', '--json'])
    .stdout.split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as PsRow);
}

function row(name: string): PsRow | undefined {
  return ps().find((r) => r.Names === name);
}

interface Inspected {
  State: { Status: string; Pid: number; ExitCode: number };
  RestartCount: number;
  Mounts: Array<{ Type: string; Name?: string; Destination: string; Source: string }>;
}

function inspect(name: string): Inspected {
  const [first] = JSON.parse(u(['inspect', name]).stdout) as Inspected[];
  return first as Inspected;
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const counts = (text: string): number[] => [...text.matchAll(/^count (\d+)$/gm)].map((m) => Number(m[1]));

describe('containers that keep running, on the real runtimes', { skip }, () => {
  for (const runtime of ['nspawn', 'lxc'] as const) {
    test(`${runtime}: run -d, ps, logs -f, exec, stop by StopSignal, start with earlier changes, rm`, async () => {
      const name = `counter-${runtime}`;
      const volume = `named-${runtime}`;
      const run = u(['run', '-d', '-q', '--runtime', runtime, '--name', name, '-v', `${volume}:/named`, probe]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^[0-9a-f]{64}\n$/, 'run -d prints the id and returns');
      assert.equal(row(name)?.State, 'running');
      assert.match(row(name)?.Status ?? '', /^Up /);
      assert.equal(row(name)?.Runtime, runtime);
      assert.equal(row(name)?.ID, run.stdout.slice(0, 12));

      // logs -f streams lines written after it started, stdout and stderr apart.
      await until('the counter has written', () => counts(u(['logs', name]).stdout).length >= 3);
      const before = Math.max(...counts(u(['logs', name]).stdout));
      const logs = u(['logs', name]);
      assert.match(logs.stderr, /^err 1$/m, 'stderr goes to stderr');
      assert.doesNotMatch(logs.stdout, /^err /m);
      const tail = u(['logs', '--tail', '2', name]);
      assert.equal(`${tail.stdout}${tail.stderr}`.split('\n').filter(Boolean).length, 2, 'the last 2 lines of both');
      const stamped = u(['logs', '-t', '--tail', '2', name]);
      assert.match(`${stamped.stdout}${stamped.stderr}`, /^\d{4}-\d\d-\d\dT[\d:.]+Z (count|err) \d+$/m);
      const follower = spawn(UNDOCKER, ['logs', '-f', '--tail', '0', name], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let followed = '';
      follower.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString()));
      const followerEnd = new Promise((resolve) => follower.once('exit', resolve));
      await until('logs -f shows new lines', () => counts(followed).some((n) => n > before + 2));

      // exec: the container's hostname, environment, pid namespace and changes; its status passes through.
      const seen = u(['exec', name, 'sh', '-c', 'hostname; echo "$PROBE"; ps -o args; cat /data/seed']);
      assert.equal(seen.status, 0, seen.stderr);
      const [hostname, probeEnv] = seen.stdout.split('\n');
      assert.equal(hostname, name);
      assert.equal(probeEnv, 'probe value');
      assert.match(seen.stdout, /while :; do/, "the container's own processes are in its pid namespace");
      assert.doesNotMatch(seen.stdout, /systemd-nspawn|monitor\.(js|bundle\.cjs)|undocker/, 'and no host process is');
      assert.match(seen.stdout, /from image$/m, "the anonymous volume was filled from the image's /data");
      assert.equal(u(['exec', name, 'sh', '-c', 'exit 9']).status, 9);
      assert.equal(u(['exec', '-u', 'app', '-w', '/etc', name, 'sh', '-c', 'id -un; pwd']).stdout, 'app\n/etc\n');
      assert.equal(u(['exec', name, 'sh', '-c', 'touch /root/mark; echo kept > /named/file']).status, 0);

      // stop delivers the StopSignal: the trap's line is in the log, and it exits with the trap's status.
      const stopping = Date.now();
      assert.equal(u(['stop', name]).stdout, `${name}\n`);
      assert.ok(Date.now() - stopping < 9_000, 'the trap ended it well before the 10 s timeout');
      assert.match(row(name)?.Status ?? '', /^Exited \(7\) /);
      assert.match(u(['logs', '--tail', '3', name]).stdout, /^stopped by USR1$/m);
      await followerEnd;
      assert.match(followed, /^stopped by USR1$/m, 'logs -f printed to the end and returned');
      const exec = u(['exec', name, 'true']);
      assert.equal(exec.status, 1);
      assert.equal(exec.stderr, `undocker: cannot exec in container ${name}: it is not running\n`);

      // start resumes with the container's own changes and its volumes.
      assert.equal(u(['start', name]).status, 0);
      assert.equal(row(name)?.State, 'running');
      assert.equal(u(['exec', name, 'sh', '-c', 'test -e /root/mark && cat /named/file']).stdout, 'kept\n');

      // rm refuses a running container; rm -f -v stops it and removes its anonymous volume, not the named one.
      const refused = u(['rm', name]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /cannot remove container counter-\w+: it is running: stop it first, or use rm -f/);
      const anonymous = inspect(name).Mounts.find((m) => m.Destination === '/data')?.Name ?? '';
      assert.match(anonymous, /^[0-9a-f]{64}$/);
      assert.equal(u(['rm', '-f', '-v', name]).status, 0);
      assert.equal(row(name), undefined);
      const volumes = u(['volume', 'ls', '-q']).stdout.split('\n');
      assert.ok(volumes.includes(volume), 'a named volume outlives its container');
      assert.ok(!volumes.includes(anonymous), 'rm -v removed the anonymous one');
      assert.equal(u(['volume', 'rm', volume]).status, 0);
    });

    test(`${runtime}: on-failure:3 restarts three times, each later; always survives a kill`, async () => {
      const failing = `failing-${runtime}`;
      const run = u([
        'run',
        '-d',
        '-q',
        '--runtime',
        runtime,
        '--name',
        failing,
        '--restart',
        'on-failure:3',
        '--entrypoint',
        '/bin/sh',
        probe,
        '-c',
        'echo start; exit 3',
      ]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(u(['wait', failing]).stdout, '3\n');
      assert.equal(inspect(failing).RestartCount, 3);
      const starts = [...u(['logs', '-t', failing]).stdout.matchAll(/^(\S+) start$/gm)].map((m) =>
        Date.parse(m[1] ?? ''),
      );
      assert.equal(starts.length, 4, 'the first start and three restarts');
      const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
      // Each restart waits at least its delay (100 ms, doubling); a start's own time varies by more than 100 ms
      // on a busy machine, so only the 300 ms between the first and the last delay is compared.
      for (const [i, gap] of gaps.entries()) assert.ok(gap >= 100 * 2 ** i, `delays double: ${gaps.join(', ')} ms`);
      assert.ok((gaps[2] as number) > (gaps[0] as number), `delays grow: ${gaps.join(', ')} ms`);
      assert.ok((gaps[0] as number) >= 100, 'the first delay is 100 ms');

      const always = `always-${runtime}`;
      assert.equal(
        u(['run', '-d', '-q', '--runtime', runtime, '--name', always, '--restart', 'always', probe]).status,
        0,
      );
      const first = inspect(always).State.Pid;
      assert.ok(first > 0);
      process.kill(first, 'SIGKILL');
      await until(
        'the monitor restarted it',
        () => inspect(always).RestartCount === 1 && row(always)?.State === 'running',
      );
      assert.notEqual(inspect(always).State.Pid, first);
      assert.equal(u(['kill', always]).stdout, `${always}\n`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(row(always)?.State, 'exited', 'kill holds the restart policy, as docker kill does');
      assert.match(row(always)?.Status ?? '', /^Exited \(137\) /, "SIGKILL's status, as under docker");
      assert.equal(u(['start', always]).status, 0);
      assert.equal(u(['stop', '-t', '1', always]).status, 0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(row(always)?.State, 'exited', 'stop holds the restart policy');

      // A command that ignores its StopSignal is killed at the timeout: 137, as docker stop leaves it.
      const stubborn = `stubborn-${runtime}`;
      const ignoring = ['--entrypoint', '/bin/sh', probe, '-c', 'trap "" USR1; sleep 100000 & wait; wait'];
      assert.equal(u(['run', '-d', '-q', '--runtime', runtime, '--name', stubborn, ...ignoring]).status, 0);
      assert.equal(u(['stop', '-t', '1', stubborn]).status, 0);
      assert.match(row(stubborn)?.Status ?? '', /^Exited \(137\) /);
      for (const name of [always, failing, stubborn]) assert.equal(u(['rm', name]).status, 0);
    });
  }

  for (const runtime of ['nspawn', 'lxc'] as const) {
    test(`${runtime}: monitor and runtime killed by SIGKILL: ps shows the truth, then Exited (unknown)`, async () => {
      const name = `orphaned-${runtime}`;
      // A silent command: one that writes would die of SIGPIPE with its monitor, the reader of its output.
      const silent = ['--entrypoint', '/bin/sh', probe, '-c', 'trap "exit 0" TERM; sleep 100000 & wait'];
      assert.equal(u(['run', '-d', '-q', '--runtime', runtime, '--name', name, ...silent]).status, 0);
      const dir = readdirSync(join(env.UNDOCKER_CACHE, 'containers')).find((d) => d.startsWith(row(name)?.ID ?? '-'));
      const owner = JSON.parse(
        readFileSync(join(env.UNDOCKER_CACHE, 'containers', dir ?? '', 'owner.json'), 'utf8'),
      ) as {
        pid: number;
      };
      process.kill(owner.pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.match(row(name)?.Status ?? '', /^Up /, 'its runtime still runs the container');
      // A runtime killed too: systemd-nspawn's PID 1 lives on, reparented, and is still the truth; LXC's init dies
      // with lxc-execute (its parent-death signal).
      const state = (): { runtime: ProcessIdentity; leader: ProcessIdentity } =>
        JSON.parse(readFileSync(join(env.UNDOCKER_CACHE, 'containers', dir ?? '', 'state.json'), 'utf8')) as never;
      process.kill(state().runtime.pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (runtime === 'nspawn') {
        assert.match(row(name)?.Status ?? '', /^Up /, 'its PID 1 still runs');
        const stop = u(['stop', '-t', '2', name]);
        assert.equal(stop.status, 0, stop.stderr);
      }
      assert.equal(row(name)?.Status, 'Exited (unknown)', 'gone with nobody to see its status');
      assert.equal(isLiving(state().leader), false, 'and its PID 1 is gone (or a zombie for the host to reap)');
      assert.equal(u(['rm', '-v', name]).status, 0);
    });
  }

  test("exec runs in the container's cgroups, where its limits hold, on both runtimes", () => {
    for (const runtime of ['nspawn', 'lxc'] as const) {
      const name = `limited-${runtime}`;
      const silent = ['--entrypoint', '/bin/sh', probe, '-c', 'trap "exit 0" TERM; sleep 100000 & wait'];
      const run = u(['run', '-d', '-q', '--runtime', runtime, '--name', name, '--pids-limit', '50', ...silent]);
      assert.equal(run.status, 0, run.stderr);
      const pidsLine = (text: string): string => /^\d+:pids:.*$/m.exec(text)?.[0] ?? `no pids line in ${text}`;
      const own = u(['exec', name, 'cat', '/proc/self/cgroup']);
      const first = u(['exec', name, 'cat', '/proc/1/cgroup']);
      assert.equal(own.status, 0, own.stderr);
      assert.equal(pidsLine(own.stdout), pidsLine(first.stdout), `${runtime}: the same pids cgroup as its PID 1`);
      assert.equal(u(['rm', '-f', name]).status, 0);
    }
  });

  test('two starts at once start it once; create does not start it; --rm -d removes it', async () => {
    for (const runtime of ['nspawn', 'lxc'] as const) {
      const name = `twice-${runtime}`;
      const created = u(['create', '-q', '--runtime', runtime, '--name', name, probe]);
      assert.equal(created.status, 0, created.stderr);
      assert.equal(row(name)?.Status, 'Created');
      const start = (): Promise<number | null> =>
        new Promise((resolve) => {
          spawn(UNDOCKER, ['start', name], { env: { ...process.env, ...env }, stdio: 'ignore' }).once('exit', resolve);
        });
      assert.deepEqual(await Promise.all([start(), start()]), [0, 0]);
      const id = JSON.parse(u(['ps', '--json', '--no-trunc']).stdout.split('\n')[0] ?? '{}').ID as string;
      assert.match(id, /^[0-9a-f]{64}$/, 'ps --no-trunc prints whole ids');
      const monitors = spawnSync('pgrep', ['-f', `monitor\\.(js|bundle\\.cjs) .* ${id}$`]).stdout.toString();
      assert.match(monitors, /^\d+\n$/, `${runtime}: one monitor owns it: ${monitors}`);
      await until('its command runs', () => inspect(name).State.Pid > 0);
      const leaders = spawnSync('pgrep', ['-f', '^/bin/sh -c trap "echo stopped by USR1']).stdout.toString();
      assert.match(leaders, /^\d+\n$/, `${runtime}: one container runs: ${leaders}`);
      assert.equal(u(['rm', '-f', '-v', name]).status, 0);
    }

    // A new named volume is filled from the image's content at its path, owners and modes kept.
    assert.equal(u(['create', '-q', '--name', 'seeding', '-v', 'seeded:/data', probe]).status, 0);
    const [seeded] = JSON.parse(u(['volume', 'inspect', 'seeded']).stdout) as Array<{
      Mountpoint: string;
      UsedBy: string[];
    }>;
    assert.equal(readFileSync(join(seeded?.Mountpoint ?? '', 'seed'), 'utf8'), 'from image');
    assert.deepEqual(seeded?.UsedBy, ['seeding']);
    const inUse = u(['volume', 'rm', 'seeded']);
    assert.equal(inUse.status, 1);
    assert.equal(inUse.stderr, 'undocker: volume seeded is in use by container seeding\n');
    assert.equal(u(['rm', 'seeding']).status, 0);
    assert.equal(u(['volume', 'rm', 'seeded']).stdout, 'seeded\n');

    // -P: every exposed port to a free host port, chosen at create.
    const exposing = writeDockerSave([
      {
        layers: [showImageLayers()],
        tags: ['ports:1'],
        config: { Cmd: ['true'], ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8080/tcp': {} } },
      },
    ]);
    assert.equal(
      u(['create', '-q', '--name', 'ports', '--network', 'veth', '-p', '9999:8080', '-P', exposing]).status,
      0,
    );
    const bindings = (JSON.parse(u(['inspect', 'ports']).stdout) as Array<{ HostConfig: { PortBindings: object } }>)[0]
      ?.HostConfig.PortBindings as Record<string, Array<{ HostPort: string }>>;
    assert.deepEqual(Object.keys(bindings).sort(), ['53/udp', '80/tcp', '8080/tcp']);
    assert.equal(bindings['8080/tcp']?.[0]?.HostPort, '9999', '-p wins over -P');
    for (const port of ['80/tcp', '53/udp']) assert.ok(Number(bindings[port]?.[0]?.HostPort) > 1024, port);
    assert.match(row('ports')?.Status ?? '', /^Created$/);
    assert.equal(u(['rm', 'ports']).status, 0);

    const gone = u(['run', '-d', '-q', '--rm', '--name', 'gone', '--entrypoint', '/bin/true', probe]);
    assert.equal(gone.status, 0, gone.stderr);
    await until('--rm removed it', () => row('gone') === undefined);
  });

  test('restart, logs --since, --log-opt rotation, exec -i, ps -q, volume create, ls and prune', async () => {
    const name = 'chatty';
    const run = u(['run', '-d', '-q', '--name', name, '--log-opt', 'max-size=2k', '--log-opt', 'max-file=2', probe]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(u(['ps', '-q']).stdout, `${run.stdout.slice(0, 12)}\n`);
    await until('the log has rotated', () =>
      readdirSync(join(env.UNDOCKER_CACHE, 'containers', run.stdout.trim())).includes('container-json.log.1'),
    );
    const files = readdirSync(join(env.UNDOCKER_CACHE, 'containers', run.stdout.trim())).filter((f) =>
      f.includes('json.log'),
    );
    assert.deepEqual(files.sort(), ['container-json.log', 'container-json.log.1'], 'max-file=2 keeps two files');
    await until('a second rotation dropped the oldest file', () => counts(u(['logs', name]).stdout)[0] !== 1);
    const kept = counts(u(['logs', name]).stdout);
    assert.ok(kept.length < 60, `at most about 4 KB of lines are kept: ${kept.length}`);
    assert.deepEqual(
      kept,
      Array.from({ length: kept.length }, (_, i) => (kept[0] as number) + i),
      'the rest in order',
    );

    const before = Math.max(...counts(u(['logs', name]).stdout));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const since = counts(u(['logs', '--since', '1s', name]).stdout);
    assert.ok(since.length > 0 && (since[0] as number) > before - 3, `--since 1s: only the last second: ${since[0]}`);

    const piped = spawnSync(UNDOCKER, ['exec', '-i', name, 'sh', '-c', 'read line; echo "got $line"'], {
      env: { ...process.env, ...env },
      input: 'hello\n',
    });
    assert.equal(piped.stdout.toString(), 'got hello\n', 'exec -i passes standard input');

    const pid = inspect(name).State.Pid;
    assert.equal(u(['restart', '-t', '2', name]).stdout, `${name}\n`);
    assert.equal(row(name)?.State, 'running');
    assert.notEqual(inspect(name).State.Pid, pid, 'a new PID 1');
    assert.match(
      u(['logs', '--tail', '200', name]).stdout,
      /^stopped by USR1$/m,
      'restart stopped it with its StopSignal',
    );
    assert.equal(u(['rm', '-f', '-v', name]).status, 0);

    assert.equal(u(['volume', 'create', 'spare']).stdout, 'spare\n');
    assert.ok(u(['volume', 'ls']).stdout.split('\n').includes('local   spare'));
    // Earlier tests removed containers without -v: their anonymous volumes are what prune takes.
    for (const line of u(['volume', 'prune']).stdout.split('\n').filter(Boolean))
      assert.match(line, /^removed volume [0-9a-f]{64}$/, 'prune takes anonymous volumes alone');
    assert.ok(u(['volume', 'ls', '-q']).stdout.split('\n').includes('spare'), 'and leaves named ones');
    assert.equal(u(['volume', 'prune', '-a']).stdout, 'removed volume spare\n');
    assert.equal(u(['volume', 'create', '-bad']).status, 2);
  });

  test('generate systemd: units pass systemd-analyze verify and run as systemd runs them', async () => {
    const name = 'unit';
    assert.equal(u(['create', '-q', '--name', name, '--restart', 'unless-stopped', probe]).status, 0);
    const unitDir = join(work, 'units');
    mkdirSync(unitDir);
    const install = u(['generate', 'systemd', name, '--install', '--unit-dir', unitDir]);
    assert.equal(install.status, 0, install.stderr);
    assert.equal(u(['generate', 'systemd', '--restart-service', '--install', '--unit-dir', unitDir]).status, 0);
    const unit = readFileSync(join(unitDir, `undocker-${name}.service`), 'utf8');
    assert.match(unit, /^Restart=always$/m, 'unless-stopped: systemd never restarts a unit stopped by hand');
    for (const file of readdirSync(unitDir)) {
      const verify = spawnSync('systemd-analyze', ['verify', join(unitDir, file)], { encoding: 'utf8' });
      assert.equal(verify.status, 0, `${file}: ${verify.stderr}`);
      assert.equal(verify.stderr, '', file);
    }
    // Exec lines as systemd reads them: words, its Environment= line for the cache.
    const execLine = (text: string, key: string): string[] =>
      (new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1] ?? '').split(' ');
    const unitEnv = { ...process.env, UNDOCKER_CACHE: /^Environment="UNDOCKER_CACHE=(.*)"$/m.exec(unit)?.[1] ?? '' };
    const [program = '', ...args] = execLine(unit, 'ExecStart');
    const service = spawn(program, args, { env: unitEnv, stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    service.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ended = new Promise<number | null>((resolve) => service.once('exit', resolve));
    await until('the unit runs the container', () => counts(output).length >= 2);
    assert.equal(row(name)?.State, 'running');
    const [stopProgram = '', ...stopArgs] = execLine(unit, 'ExecStop');
    assert.equal(spawnSync(stopProgram, stopArgs, { env: unitEnv }).status, 0);
    assert.equal(await ended, 143, 'ExecStart ends as undocker does when stopped, which the unit counts as success');
    assert.match(unit, /^SuccessExitStatus=143$/m);
    assert.match(output, /^stopped by USR1$/m, 'the output went to the unit (the journal)');

    // The boot service starts what a booting Docker engine would: always, and unless-stopped not stopped by hand.
    const boot = readFileSync(join(unitDir, 'undocker-restart.service'), 'utf8');
    const [bootProgram = '', ...bootArgs] = execLine(boot, 'ExecStart');
    assert.equal(spawnSync(bootProgram, bootArgs, { env: unitEnv }).stdout.toString(), '', 'stopped by hand: held');
    assert.equal(u(['start', name]).status, 0);
    const [haltProgram = '', ...haltArgs] = execLine(boot, 'ExecStop');
    assert.equal(spawnSync(haltProgram, haltArgs, { env: unitEnv }).stdout.toString(), `${name}\n`);
    assert.equal(row(name)?.State, 'exited');
    assert.equal(
      spawnSync(bootProgram, bootArgs, { env: unitEnv }).stdout.toString(),
      `${name}\n`,
      'a shutdown is no hand',
    );
    assert.equal(row(name)?.State, 'running');
    assert.equal(u(['rm', '-f', '-v', name]).status, 0);
  });
});
