/**
 * RunRequest is what `undocker run` was asked beyond the image's run spec: the runtime, mounts,
 * networking and terminal, with docker run's names and meanings.
 */
import type { CapabilityRequest } from '../config/capabilities.js';
import { UsageError } from '../errors.js';
import type { Tmpfs, Ulimit } from '../config/tmpfs-ulimits.js';
import type { Device } from './devices.js';
import type { ResourceLimits } from './resource-limits.js';

/** Runtime names the container runtimes undocker launches. */
export type Runtime = 'nspawn' | 'lxc';

/** Network is docker run's --network, as these runtimes offer it. */
export type Network = 'host' | 'none' | 'veth';

/** BindMount is one -v HOST:CONTAINER[:ro]. */
export interface BindMount {
  host: string;
  container: string;
  readOnly: boolean;
  /** volume marks undocker's own volumes: under --userns=auto their owners are the container's ids, as the image's */
  volume?: boolean;
}

/**
 * Userns is --userns: `host` runs container root as host root, as docker run does; `auto` runs the
 * container's ids 0..65535 as a range of unprivileged host ids (launch/uid-range.ts).
 */
export type Userns = 'host' | 'auto';

/** Publish is one -p [HOST:]CONTAINER[/PROTOCOL]. */
export interface Publish {
  host: number;
  container: number;
  protocol: 'tcp' | 'udp';
}

/** Security is docker run's --cap-add, --cap-drop, --privileged and --security-opt. */
export interface Security {
  capabilities: CapabilityRequest;
  noNewPrivileges: boolean;
  /** seccomp is false for seccomp=unconfined: no system call filter of the runtime's */
  seccomp: boolean;
}

/** DEFAULT_SECURITY is docker run's: its default capabilities, the runtime's seccomp filter. */
export const DEFAULT_SECURITY: Security = {
  capabilities: { add: [], drop: [], privileged: false },
  noNewPrivileges: false,
  seccomp: true,
};

/** RunRequest is the launch-time part of a run. */
export interface RunRequest {
  runtime: Runtime;
  network: Network;
  volumes: BindMount[];
  publish: Publish[];
  tty: boolean;
  interactive: boolean;
  readOnly: boolean;
  /** machine name: the container's name in the runtime */
  name: string;
  /** seconds between the stop signal and a kill, as docker stop's default */
  stopTimeout: number;
  security: Security;
  tmpfs: Tmpfs[];
  ulimits: Ulimit[];
  limits: ResourceLimits;
  /** shmSize is the size of /dev/shm in bytes (docker run --shm-size, 64 MiB by default) */
  shmSize: number;
  devices: Device[];
  /** init runs a small init as PID 1 that reaps zombies and passes signals on, the command as its child */
  init: boolean;
  /** userns is absent in containers made before --userns: theirs is the host's */
  userns?: Userns;
}

/**
 * parseSecurityOpts reads --security-opt values as docker run takes them: `no-new-privileges`
 * (alone, or `:true` / `:false`, `=` accepted for `:`) and `seccomp=unconfined`.
 */
export function parseSecurityOpts(values: readonly string[]): Pick<Security, 'noNewPrivileges' | 'seccomp'> {
  let noNewPrivileges = false;
  let seccomp = true;
  for (const value of values) {
    const match = /^no-new-privileges(?:[:=](true|false))?$/.exec(value);
    if (match !== null) noNewPrivileges = match[1] !== 'false';
    else if (value === 'seccomp=unconfined' || value === 'seccomp:unconfined') seccomp = false;
    else {
      throw new UsageError(
        `--security-opt ${value}: use no-new-privileges[:true|false] or seccomp=unconfined ` +
          "(seccomp profiles, AppArmor and SELinux labels are the runtime's own)",
      );
    }
  }
  return { noNewPrivileges, seccomp };
}

/** parseBindMount reads -v HOST:CONTAINER[:ro|rw]; both paths must be absolute. */
export function parseBindMount(text: string): BindMount {
  const parts = text.split(':');
  const [host, container, mode] = parts;
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    !host?.startsWith('/') ||
    !container?.startsWith('/') ||
    (mode !== undefined && mode !== 'ro' && mode !== 'rw')
  ) {
    throw new UsageError(`-v ${text}: use HOST:CONTAINER or HOST:CONTAINER:ro, with absolute paths`);
  }
  return { host, container, readOnly: mode === 'ro' };
}

/** parsePublish reads -p [HOST:]CONTAINER[/tcp|udp]. */
export function parsePublish(text: string): Publish {
  const match = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(text);
  const container = Number(match?.[2]);
  const host = match?.[1] !== undefined ? Number(match[1]) : container;
  if (match === null || host < 1 || host > 65535 || container < 1 || container > 65535) {
    throw new UsageError(`-p ${text}: use [HOST:]CONTAINER[/tcp|udp], ports 1 to 65535`);
  }
  return { host, container, protocol: (match[3] ?? 'tcp') as Publish['protocol'] };
}
