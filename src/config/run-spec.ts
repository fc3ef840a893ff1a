/**
 * The run spec: what a container runtime needs to start an image as Docker would, derived from
 * the image config (and, later, the user's overrides) by one pure function. Generators only
 * format a RunSpec; they never read the config themselves.
 */
import { UndockerError } from '../errors.js';
import type { ConfigView } from '../image/config-view.js';
import type { HealthcheckConfig } from '../image/types.js';
import { resolveUser, type ResolvedUser } from './resolve-user.js';
import { toStopSignal } from './stop-signal.js';
import type { UserDb } from './user-db.js';

/** DEFAULT_PATH is the PATH Docker gives a container whose image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Port is one exposed port. */
export interface Port {
  port: number;
  /** end is the last port of a range (`8000-8010/tcp`), or `port`. */
  end: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

/** RunSpec is everything a runtime needs to start the image. */
export interface RunSpec {
  image: string;
  argv: string[];
  /** env is in the image's order, one entry per name, as [name, value]. */
  env: Array<[string, string]>;
  workingDir: string;
  user: ResolvedUser;
  ports: Port[];
  volumes: string[];
  stopSignal: string;
  hostname: string;
  architecture: string;
  healthcheck?: HealthcheckConfig;
}

/** RunOverrides are what a user may change (docker run's flags). */
export interface RunOverrides {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  /** stopSignal replaces the image's StopSignal (docker run --stop-signal) */
  stopSignal?: string;
}

/** RunSpecInput is the config, the image's user database and the overrides. */
export interface RunSpecInput {
  view: ConfigView;
  /** where names the image in messages: "image busybox:latest of sample.tar" */
  where: string;
  userDb: UserDb;
  overrides?: RunOverrides;
  /** hostname to use when none is overridden */
  defaultHostname: string;
}

function argvOf(view: ConfigView, overrides: RunOverrides, where: string): string[] {
  // docker run --entrypoint discards the image's Cmd too; a given command replaces Cmd only.
  const entrypoint = overrides.entrypoint ?? view.Entrypoint;
  const cmd = overrides.cmd ?? (overrides.entrypoint !== undefined ? [] : view.Cmd);
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0)
    throw new UndockerError(
      'UNDOCKER_BAD_ARCHIVE',
      `${where}: no Entrypoint and no Cmd: nothing to run; give a command`,
    );
  if (argv[0] === '')
    throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${where}: the command to run is an empty string`);
  return argv;
}

function envOf(entries: string[], field: string, warn: (message: string) => void): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    if (equals <= 0) {
      warn(`${field}: ${JSON.stringify(entry)} is not NAME=VALUE: left out`);
      continue;
    }
    env.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  return env;
}

function parsePort(key: string, where: string, warn: (message: string) => void): Port | undefined {
  const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(key);
  const port = Number(match?.[1]);
  const end = match?.[2] !== undefined ? Number(match[2]) : port;
  if (match === null || port < 1 || end > 65535 || end < port) {
    warn(`${where}: ExposedPorts: ${JSON.stringify(key)} is not PORT[/PROTOCOL]: left out`);
    return undefined;
  }
  return { port, end, protocol: (match[3]?.toLowerCase() ?? 'tcp') as Port['protocol'] };
}

/** toRunSpec derives the run spec from an image config; warnings go to `warn`. */
export function toRunSpec(input: RunSpecInput, warn: (message: string) => void = () => undefined): RunSpec {
  const { view, where, userDb } = input;
  const overrides = input.overrides ?? {};
  const argv = argvOf(view, overrides, where);
  const workingDir = overrides.workingDir ?? (view.WorkingDir || '/');
  if (!workingDir.startsWith('/')) {
    throw new UndockerError(
      'UNDOCKER_BAD_ARCHIVE',
      `${where}: WorkingDir ${JSON.stringify(workingDir)} is not an absolute path`,
    );
  }
  const user = resolveUser(overrides.user ?? view.User, userDb, where);
  const hostname = overrides.hostname ?? input.defaultHostname;
  // Docker's order: -e first, then the image's variables -e did not set (runconfig's merge); under PATH and
  // HOSTNAME, each replaced in place (CreateDaemonEnvironment, ReplaceOrAppendEnvValues); HOME last when unset.
  const given = envOf(overrides.env ?? [], 'environment', warn);
  for (const [name, value] of envOf(view.Env, `${where}: Env`, warn)) if (!given.has(name)) given.set(name, value);
  const env = new Map([['PATH', DEFAULT_PATH], ['HOSTNAME', hostname], ...given]);
  if (!env.has('HOME')) env.set('HOME', user.home);
  const spec: RunSpec = {
    image: view.names[0] ?? view.id,
    argv,
    env: [...env],
    workingDir,
    user,
    ports: view.ExposedPorts.map((key) => parsePort(key, where, warn)).filter((p): p is Port => p !== undefined),
    volumes: view.Volumes.filter((path) => {
      if (path.startsWith('/')) return true;
      warn(`${where}: Volumes: ${JSON.stringify(path)} is not an absolute path: left out`);
      return false;
    }),
    stopSignal:
      overrides.stopSignal !== undefined
        ? toStopSignal(overrides.stopSignal, '--stop-signal')
        : toStopSignal(view.StopSignal, where),
    hostname,
    architecture: view.architecture,
  };
  if (view.Healthcheck?.Test !== undefined && view.Healthcheck.Test[0] !== 'NONE') spec.healthcheck = view.Healthcheck;
  return spec;
}
