/**
 * renderNspawnUnit formats a RunSpec as a systemd.nspawn(5) settings file: the image's command
 * as Parameters= with Boot=no and ProcessTwo=yes (a stub init as PID 1 reaps zombies), one
 * Environment= per variable, and mounts and networking as asked. What a .nspawn file cannot
 * say is a warning. In a tree undocker writes (install), Parameters= runs the launcher instead,
 * which holds the command and environment whole.
 */
import { CAPABILITIES, type Capability, DOCKER_DEFAULT_CAPABILITIES } from '../config/capabilities.js';
import type { RunSpec } from '../config/run-spec.js';
import { NO_WALLS, toLimitPair, type Walls } from '../config/tmpfs-ulimits.js';
import { type HelperLoader, toHelperArgv, withHelperCapabilities } from './helper-argv.js';
import { LAUNCHER, renderLauncher } from './launcher.js';
import { shmMount } from './docker-shm.js';
import { quoteNspawnWord, toNspawnPath } from './nspawn-quote.js';
import { renderTemplate } from './template.js';
import { toVolumeMounts } from './volumes.js';

/** NspawnNetwork is how the container is networked: the host's, none, or a veth pair. */
export type NspawnNetwork = 'host' | 'none' | 'veth';

/** NspawnOptions shape the unit beyond the run spec. */
export interface NspawnOptions {
  /** name is the machine name: the unit is NAME.nspawn */
  name: string;
  network: NspawnNetwork;
  volumeDir?: string;
  /** hasGetent: systemd-nspawn needs the image's getent to switch to a User= */
  hasGetent: boolean;
  header: string;
  warn: (message: string) => void;
  /**
   * helper is the identity helper in the tree (install): it switches users, so no User= and no
   * getent, and the launcher beside it holds the command and environment
   */
  helper?: HelperLoader;
  /** capabilities the command gets: Docker's default set when absent */
  capabilities?: readonly Capability[];
  privileged?: boolean;
  noNewPrivileges?: boolean;
  /** seccomp false is seccomp=unconfined, which a .nspawn file cannot say */
  seccomp?: boolean;
  /** walls are --tmpfs, --ulimit and --shm-size: Docker's 64 MiB /dev/shm alone when absent */
  walls?: Walls;
  /**
   * userns auto: systemd-nspawn picks a range of host ids at each start and idmaps the tree (and
   * volume folders) to it, so nothing is chowned; host (the default) is the host's ids
   */
  userns?: 'host' | 'auto';
}

/** securityLines give the command docker run's capabilities: Capability= keeps, DropCapability= drops the rest. */
function securityLines(options: NspawnOptions): string[] {
  if (options.seccomp === false)
    options.warn(
      "seccomp=unconfined: a .nspawn file cannot turn systemd-nspawn's system call filter off; set " +
        `SYSTEMD_SECCOMP=0 in its environment (a drop-in for systemd-nspawn@${options.name}.service: ` +
        '[Service] Environment=SYSTEMD_SECCOMP=0)',
    );
  const nnp = options.noNewPrivileges ? ['NoNewPrivileges=yes'] : [];
  if (options.privileged) return ['Capability=all', ...nnp];
  const wanted = options.capabilities ?? DOCKER_DEFAULT_CAPABILITIES;
  const kept = options.helper ? withHelperCapabilities(wanted) : wanted;
  const keep = CAPABILITIES.filter((cap) => kept.includes(cap));
  const drop = CAPABILITIES.filter((cap) => !keep.includes(cap));
  return [`Capability=${keep.join(' ')}`, `DropCapability=${drop.join(' ')}`, ...nnp];
}

function userLines(spec: RunSpec, options: NspawnOptions): string[] {
  const { user } = spec;
  if (user.uid === 0 && user.gid === 0) return [];
  if (!options.hasGetent)
    options.warn(
      `systemd-nspawn switches to User= with the image's getent, and ${spec.image} has none: the container will ` +
        `fail to start as ${user.spec}`,
    );
  if (user.group !== undefined)
    options.warn(
      `User= cannot set a group: systemd-nspawn runs ${user.name ?? user.uid} with its own groups from the image's ` +
        `passwd and group, not ${user.group}`,
    );
  else if (user.uid !== 0 && user.gid === 0 && user.name === undefined)
    options.warn(`uid ${user.uid} is not in the image's /etc/passwd: systemd-nspawn cannot switch to it`);
  return [`User=${quoteNspawnWord(user.name ?? String(user.uid), 'User')}`];
}

function networkLines(spec: RunSpec, options: NspawnOptions): string[] {
  const ports = spec.ports.map((p) =>
    p.end === p.port ? `${p.port}/${p.protocol}` : `${p.port}-${p.end}/${p.protocol}`,
  );
  if (options.network === 'host') {
    if (ports.length > 0)
      options.warn(
        `ports ${ports.join(' ')} are not mapped: with the host's network the container's ports are the host's ` +
          `(use --network veth to map them)`,
      );
    // Said outright: systemd-nspawn@.service passes --network-veth, which a trusted unit overrides.
    return ['', '[Network]', 'VirtualEthernet=no'];
  }
  if (options.network === 'none') return ['', '[Network]', 'Private=yes'];
  const lines = ['', '[Network]', 'VirtualEthernet=yes'];
  for (const p of spec.ports) {
    if (p.protocol === 'sctp') options.warn(`port ${p.port}/sctp: systemd-nspawn maps only tcp and udp ports`);
    else for (let port = p.port; port <= p.end; port++) lines.push(`Port=${p.protocol}:${port}:${port}`);
  }
  return lines;
}

function fileLines(spec: RunSpec, options: NspawnOptions): string[] {
  const mounts = toVolumeMounts(spec.volumes, options.volumeDir);
  if (mounts.length > 0 && options.volumeDir === undefined)
    options.warn(
      `volumes ${spec.volumes.join(' ')} are temporary file systems, emptied at every start: give --volume-dir DIR ` +
        `to keep them`,
    );
  const walls = options.walls ?? NO_WALLS;
  const shm = shmMount(walls.shmSize);
  const auto = options.userns === 'auto';
  const idmap = auto ? ':idmap' : '';
  return [
    '',
    '[Files]',
    ...(auto ? ['PrivateUsersOwnership=map'] : []),
    // Docker's /dev/shm (64 MiB), not systemd-nspawn's (half the memory).
    `TemporaryFileSystem=${shm.path}:${shm.options}`,
    ...walls.tmpfs.map((t) => `TemporaryFileSystem=${t.path}:${t.options}`),
    ...mounts.map((m) =>
      m.hostPath === undefined ? `TemporaryFileSystem=${m.path}` : `Bind=${m.hostPath}:${m.path}${idmap}`,
    ),
  ];
}

/** limitLines are --ulimit as [Exec] Limit*= settings, which take soft:hard as --rlimit does. */
function limitLines(options: NspawnOptions): string[] {
  return (options.walls ?? NO_WALLS).ulimits.map(
    (ulimit) => `Limit${ulimit.name.toUpperCase()}=${toLimitPair(ulimit, 'infinity')}`,
  );
}

/** renderNspawnLauncher returns the launcher that Parameters= runs when the identity helper is in the tree. */
export function renderNspawnLauncher(spec: RunSpec, options: NspawnOptions & { helper: HelperLoader }): string {
  const helper = toHelperArgv(options.helper, {
    user: spec.user,
    bounding: options.privileged ? undefined : (options.capabilities ?? DOCKER_DEFAULT_CAPABILITIES),
    noNewPrivileges: options.noNewPrivileges ?? false,
  });
  return renderLauncher(spec, helper, options.header);
}

/** execLines say what the container runs: the launcher in a tree undocker wrote, else the command itself. */
function execLines(spec: RunSpec, options: NspawnOptions): { parameters: string; environment: string[] } {
  if (options.helper !== undefined)
    return { parameters: LAUNCHER, environment: [`# The command and its environment: ${LAUNCHER} in the machine.`] };
  return {
    parameters: spec.argv.map((word, i) => quoteNspawnWord(word, `argument ${i} of the command`)).join(' '),
    environment: spec.env.map(
      ([name, value]) => `Environment=${quoteNspawnWord(`${name}=${value}`, `environment variable ${name}`)}`,
    ),
  };
}

/** renderNspawnUnit returns the text of NAME.nspawn for `spec`. */
export function renderNspawnUnit(spec: RunSpec, options: NspawnOptions): string {
  if (spec.healthcheck !== undefined)
    options.warn(
      `the image's Healthcheck (${JSON.stringify(spec.healthcheck.Test)}) has no systemd-nspawn equivalent: left out`,
    );
  const personality = spec.architecture === '386' ? ['Personality=x86'] : [];
  return renderTemplate('nspawn.nspawn', {
    header: options.header,
    name: options.name,
    ...execLines(spec, options),
    working_directory: toNspawnPath(spec.workingDir, 'WorkingDir'),
    user: options.helper === undefined ? userLines(spec, options) : [],
    security: [
      ...(options.userns === 'auto' ? ['PrivateUsers=pick'] : []),
      ...securityLines(options),
      ...limitLines(options),
    ],
    kill_signal: spec.stopSignal,
    hostname: spec.hostname,
    personality,
    files: fileLines(spec, options),
    network: networkLines(spec, options),
  });
}
