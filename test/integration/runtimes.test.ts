/**
 * The generated files run for real: an image whose entrypoint reports its argv, environment,
 * working directory and ids is started by systemd-nspawn reading the generated .nspawn, and by
 * lxc-execute and lxc-start on a container lxc-create made from the generated meta.tar.xz and
 * rootfs.tar.xz. Arguments and values hold spaces, quotes, $, %, backslashes and = signs; in
 * trees undocker writes (lxc-template, install) also newlines, both quotes in one word and
 * names sh cannot assign, all carried by the launcher, and the environment is docker run's alone.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../helpers/archives.js';
import { undocker } from '../helpers/cli.js';
import { parseShowReport, REPORT_FILE, type ShowReport, writeShowImage } from '../helpers/show-image.js';

const missing = ['systemd-nspawn', 'lxc-create'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const skip = process.getuid?.() !== 0 ? 'needs root' : missing.length > 0 ? `needs ${missing.join(', ')}` : false;

/** Arguments and values every format must deliver exactly. */
const ARGS = [
  'a b',
  "it's",
  'say"hi"',
  '$HOME',
  '100%',
  'eq=ual',
  '',
  'tab\there',
  '%h',
  "'lead",
  'say "hi" now',
  'back\\slash',
  'trail\\',
];
const ENV = [
  'V_SPACE=a b',
  `V_QUOTES=it's "q"`,
  'V_DOLLAR=$HOME',
  'V_PCT=100%',
  'V_BSL=back\\slash',
  'V_EQ=x=y=z',
  'V_EMPTY=',
  'V_LEAD=  lead',
  'V_TAB=tab\there',
  'V_END=end\\',
];
/** What only a .nspawn file can hold: both kinds of quote in one word, trailing whitespace. */
const NSPAWN_ARGS = [`it's "both"`, ...ARGS];
const NSPAWN_ENV = [...ENV, 'V_TRAIL=trail ', `V_BOTH=it's "both"`];
/** What only the launcher, in a tree undocker writes, can carry: newlines and carriage returns too. */
const WRITTEN_ARGS = [...NSPAWN_ARGS, 'new\nline', 'cr\rhere', `all '"\n\t$\\`, ' lead and trail '];
const WRITTEN_ENV = [...NSPAWN_ENV, 'V_NL=a\nb\n', 'V.DOT=dotted', 'V_CR=c\rr'];

const work = tempDir('undocker-runtimes-');
after(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertReport(report: ShowReport, args: string[], env: string[], exactEnvFor?: string): void {
  assert.deepEqual(report.args, args);
  for (const entry of env) {
    const name = entry.slice(0, entry.indexOf('='));
    assert.equal(report.env.get(name), entry.slice(name.length + 1), `environment variable ${name}`);
  }
  if (exactEnvFor !== undefined) {
    // docker run's environment and nothing of the runtime's (container=, USER=root, NOTIFY_SOCKET=).
    const names = ['PATH', 'HOSTNAME', ...env.map((entry) => entry.slice(0, entry.indexOf('='))), 'HOME'];
    assert.deepEqual([...report.env.keys()], names);
    assert.equal(report.env.get('HOSTNAME'), exactEnvFor);
  }
  assert.equal(report.env.get('HOME'), '/home/app');
  assert.equal(report.env.get('PATH'), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  assert.equal(report.cwd, '/work');
  assert.equal(report.ids, '1000 1000 1000 1500', 'uid, gid, and the groups with the supplementary one');
}

function showConfig(args: string[], env: string[]): object {
  return {
    Entrypoint: ['/show', args[0]],
    Cmd: args.slice(1),
    Env: env,
    WorkingDir: '/work',
    User: 'app',
    StopSignal: 'SIGINT',
  };
}

describe('generated files run on the real runtimes', { skip }, () => {
  test('systemd-nspawn runs the command, environment, directory and user of the generated .nspawn', () => {
    const image = writeShowImage(showConfig(NSPAWN_ARGS, NSPAWN_ENV) as never);
    const machines = join(work, 'machines');
    const rootfs = join(machines, 'showns');
    mkdirSync(machines);
    const unpacked = undocker(['rootfs', image, '-C', rootfs]);
    assert.equal(unpacked.status, 0, unpacked.stderr);
    const unit = undocker(['nspawn-unit', image, join(machines, 'showns.nspawn')]);
    assert.equal(unit.status, 0, unit.stderr);
    assert.match(readFileSync(join(machines, 'showns.nspawn'), 'utf8'), /^KillSignal=SIGINT$/m);
    // The settings file beside the image, trusted: as it would be read from /etc/systemd/nspawn.
    const result = run('systemd-nspawn', [
      '--quiet',
      '--register=no',
      '--keep-unit',
      '--console=pipe',
      '--settings=trusted',
      '-D',
      rootfs,
      '-M',
      'showns',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assertReport(parseShowReport(result.stdout), NSPAWN_ARGS, NSPAWN_ENV);
  });

  const lxcPath = join(work, 'lxc');
  const netConfig = join(work, 'lxc-net.conf');
  writeFileSync(netConfig, 'lxc.net.0.type = none\n');
  after(() => {
    for (const name of ['showexec', 'showstart']) run('lxc-destroy', ['-P', lxcPath, '-n', name, '-f']);
  });

  function lxcCreate(image: string, name: string, extra: string[]): void {
    const dir = join(work, `${name}-template`);
    const made = undocker(['lxc-template', image, dir, '--name', name, ...extra]);
    assert.equal(made.status, 0, made.stderr);
    const line = made.stdout.toString().trim().split(' ');
    assert.deepEqual(line.slice(0, 5), ['lxc-create', '-n', name, '-t', 'local']);
    const created = run('lxc-create', ['-P', lxcPath, '-f', netConfig, ...line.slice(1)]);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /made by undocker/, 'the create message is shown');
  }

  test('lxc-execute runs the command of a container made with lxc-create -t local, every byte of it', () => {
    const image = writeShowImage(showConfig(WRITTEN_ARGS, WRITTEN_ENV) as never, 'showexec:latest');
    lxcCreate(image, 'showexec', ['--execute-only']);
    assert.doesNotMatch(readFileSync(join(lxcPath, 'showexec', 'config'), 'utf8'), /^lxc\.init\.cmd/m);
    const result = run('lxc-execute', ['-P', lxcPath, '-n', 'showexec']);
    assert.equal(result.status, 0, result.stderr);
    assertReport(parseShowReport(result.stdout), WRITTEN_ARGS, WRITTEN_ENV, 'showexec');
  });

  test('lxc-start runs lxc.init.cmd of a container made with lxc-create -t local, every byte of it', () => {
    const image = writeShowImage(showConfig(WRITTEN_ARGS, WRITTEN_ENV) as never, 'showstart:latest');
    lxcCreate(image, 'showstart', []);
    const config = readFileSync(join(lxcPath, 'showstart', 'config'), 'utf8');
    assert.match(
      config,
      /^lxc.include = \/usr\/share\/lxc\/config\/common.conf$/m,
      'lxc-create filled in LXC_TEMPLATE_CONFIG',
    );
    assert.match(config, /^lxc.signal.stop = SIGINT$/m);
    assert.match(config, /^lxc.init.cmd = \/.undocker\/launch$/m);
    const result = run('lxc-start', ['-P', lxcPath, '-n', 'showstart', '-F']);
    assert.equal(result.status, 0, result.stderr);
    const report = join(lxcPath, 'showstart', 'rootfs', REPORT_FILE);
    assert.ok(existsSync(report), 'the entrypoint ran');
    assertReport(parseShowReport(readFileSync(report, 'utf8')), WRITTEN_ARGS, WRITTEN_ENV, 'showstart');
  });

  test('an installed machine runs every byte under systemd-nspawn -M and as machinectl start runs it', () => {
    const name = `undocker-bytes-${process.pid}`;
    after(() => undocker(['uninstall', name]));
    const image = writeShowImage(showConfig(WRITTEN_ARGS, WRITTEN_ENV) as never, 'showbytes:latest');
    const installed = undocker(['install', image, '--name', name]);
    assert.equal(installed.status, 0, installed.stderr);
    // machinectl start runs systemd-nspawn@.service: its ExecStart=, with --register=no and a pipe for a console
    // here, where systemd is not PID 1 and no machined listens.
    const service = readFileSync('/lib/systemd/system/systemd-nspawn@.service', 'utf8');
    const execStart = /^ExecStart=(.*)$/m.exec(service)?.[1]?.replace(/%i/g, name).split(' ') ?? [];
    assert.equal(execStart[0], 'systemd-nspawn');
    for (const argv of [['systemd-nspawn', '--quiet', '--keep-unit', '-M', name], execStart]) {
      const result = run(argv[0] as string, [...argv.slice(1), '--register=no', '--console=pipe']);
      assert.equal(result.status, 0, `${argv.join(' ')}: ${result.stderr}`);
      assertReport(parseShowReport(result.stdout), WRITTEN_ARGS, WRITTEN_ENV, name);
    }
  });
});
