/**
 * `exec`: a command in a running container, as docker exec runs it: in the container's
 * namespaces and cgroup, with its environment (plus -e), its user (or -u, looked up in the
 * container's own /etc/passwd), its working directory (or -w) and its capabilities.
 * systemd-nspawn: nsenter into its PID 1's namespaces, through the identity helper bound into
 * the container; LXC: lxc-attach, which keeps the container's capabilities. The exit status is
 * the command's.
 */
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { toCapabilities } from '../config/capabilities.js';
import { resolveUser, type ResolvedUser } from '../config/resolve-user.js';
import { userDbOf } from '../config/load-run-spec.js';
import { UndockerError } from '../errors.js';
import { probeDirectory } from '../flatten/directory-probe.js';
import { toHelperArgv, toPlainExecArgv } from '../generate/helper-argv.js';
import { LAUNCHER_SHELL, toEnvArgv } from '../generate/launcher.js';
import { hostCapabilities } from '../launch/host-capabilities.js';
import { findIdentityHelper, type IdentityHelper } from '../launch/identity-helper.js';
import { HELPER_MEMO } from '../launch/prepare-run.js';
import { inCgroupsArgv } from '../launch/run-cgroup.js';
import { leaderOf } from './leader.js';
import { notRunning } from './lifecycle.js';
import type { Container } from './records.js';
import { join } from 'node:path';
import { lxcPathOf } from '../launch/lxc-userns-paths.js';

/** ExecRequest is docker exec's options. */
export interface ExecRequest {
  command: string[];
  user?: string;
  workdir?: string;
  /** env are NAME=VALUE entries that replace the container's values or follow them */
  env: string[];
  interactive: boolean;
  tty: boolean;
}

function envOf(container: Container, extra: readonly string[]): Array<[string, string]> {
  const env = new Map(container.config.spec.env);
  for (const entry of extra) {
    const equals = entry.indexOf('=');
    env.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  return [...env];
}

/** cgroupProcs are the cgroup.procs files of the cgroups undocker made for the container, which its PID 1 is in. */
function cgroupProcs(leader: number, name: string): string[] {
  const made = `/undocker-${name}`;
  return readFileSync(`/proc/${leader}/cgroup`, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const [, controllers = '', path = ''] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
      if (!path.endsWith(made)) return [];
      const mount = controllers === '' ? '/sys/fs/cgroup' : `/sys/fs/cgroup/${controllers.replace(/^name=/, '')}`;
      return [join(mount, path, 'cgroup.procs')];
    });
}

/**
 * inDirectory changes to `dir` inside the container, with the helper's busybox, before the
 * command: neither nsenter nor lxc-attach can, as docker exec -w does.
 */
function inDirectory(dir: string): string[] {
  // 126, as docker exec fails a working directory it cannot enter.
  return [LAUNCHER_SHELL, 'sh', '-c', 'cd "$1" || exit 126; shift; exec "$@"', 'sh', dir];
}

function nspawnArgv(
  container: Container,
  leader: number,
  request: ExecRequest,
  user: ResolvedUser,
  helper: IdentityHelper,
): string[] {
  const { config } = container;
  const capabilities = toCapabilities(config.request.security.capabilities, hostCapabilities());
  const procs = cgroupProcs(leader, config.request.name);
  // --root and --wd alone take the container's; a path given to --wd would be the host's.
  const enter = [
    'nsenter',
    `--target=${leader}`,
    '--mount',
    '--uts',
    '--ipc',
    '--net',
    '--pid',
    '--cgroup',
    // --userns=auto: the command is the container's root (then its user), never the host's.
    ...(config.request.userns === 'auto' ? ['--user'] : []),
    '--root',
    '--wd',
  ];
  const identity = toHelperArgv(helper, {
    user,
    bounding: config.request.security.capabilities.privileged ? undefined : capabilities,
    noNewPrivileges: config.request.security.noNewPrivileges,
  });
  return inCgroupsArgv(procs, [
    ...enter,
    '--',
    ...toEnvArgv(envOf(container, request.env), request.tty),
    ...inDirectory(request.workdir ?? config.spec.workingDir),
    ...identity,
    ...request.command,
  ]);
}

function lxcArgv(container: Container, request: ExecRequest, user: ResolvedUser, helper: IdentityHelper): string[] {
  const { config } = container;
  const capabilities = toCapabilities(config.request.security.capabilities, hostCapabilities());
  // The helper sets groups too, as docker exec does, with the container's CAP_SETUID and CAP_SETGID;
  // without them lxc-attach switches the ids itself (no supplementary groups).
  const helperSwitches = capabilities.includes('CAP_SETUID') && capabilities.includes('CAP_SETGID');
  const identity = helperSwitches
    ? toHelperArgv(helper, { user, bounding: undefined, noNewPrivileges: config.request.security.noNewPrivileges })
    : toPlainExecArgv(helper);
  return [
    'lxc-attach',
    '-P',
    lxcPathOf(container.dirs, config.request),
    '-n',
    config.request.name,
    '--clear-env',
    ...(helperSwitches ? [] : ['-u', String(user.uid), '-g', String(user.gid)]),
    '--',
    ...toEnvArgv(envOf(container, request.env), request.tty),
    ...inDirectory(request.workdir ?? config.spec.workingDir),
    ...identity,
    ...request.command,
  ];
}

/** execInContainer runs `request` in the running container and returns the command's exit status. */
export async function execInContainer(root: string, container: Container, request: ExecRequest): Promise<number> {
  const leader = leaderOf(container);
  if (leader === undefined) throw notRunning(container, 'exec in');
  const { config } = container;
  const where = `container ${config.name}`;
  const user =
    request.user === undefined
      ? config.spec.user
      : resolveUser(request.user, userDbOf(probeDirectory(`/proc/${leader}/root/`)), where);
  const helper = findIdentityHelper(join(root, HELPER_MEMO));
  const argv =
    config.request.runtime === 'lxc'
      ? lxcArgv(container, request, user, helper)
      : nspawnArgv(container, leader, request, user, helper);
  const [program = '', ...args] = argv;
  const child = spawn(program, args, {
    stdio: [request.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) =>
      reject(new UndockerError('UNDOCKER_MISSING_TOOL', `cannot start ${program}: ${error.message}`, { cause: error })),
    );
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal !== null ? constants.signals[signal] : 1)));
  });
}
