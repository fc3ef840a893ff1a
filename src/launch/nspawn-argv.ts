/**
 * toNspawnArgv builds the systemd-nspawn command line for a run. Everything goes in argv
 * (--chdir, the environment and the command after --), so no value needs quoting. busybox's
 * env starts as PID 1 with exactly docker run's environment and execs the identity helper,
 * which execs the command: it is PID 1 as under docker run. --kill-signal makes nspawn send
 * the image's StopSignal to it when nspawn gets SIGTERM.
 */
import type { Capability } from '../config/capabilities.js';
import { toLimitPair } from '../config/tmpfs-ulimits.js';
import type { RunSpec } from '../config/run-spec.js';
import { toHelperArgv, withHelperCapabilities } from '../generate/helper-argv.js';
import { toEnvArgv } from '../generate/launcher.js';
import type { IdentityHelper } from './identity-helper.js';
import { shmMount } from '../generate/docker-shm.js';
import type { DeviceNode } from './devices.js';
import type { RunRequest } from './run-request.js';
import type { UidRange } from './uid-range.js';

/** NspawnIdentity is who the command runs as, and with which capabilities. */
export interface NspawnIdentity {
  helper: IdentityHelper;
  /** capabilities the command gets (its bounding set) */
  capabilities: readonly Capability[];
  /** known are the capabilities this kernel has, to drop those not kept */
  known: readonly Capability[];
  /** devices are the host's nodes --device asked for */
  devices: readonly DeviceNode[];
  /** range, under --userns=auto, is the host ids the container's are (its tree is idmapped already) */
  range?: UidRange | undefined;
}

function capabilityArgs(request: RunRequest, identity: NspawnIdentity): string[] {
  if (request.security.capabilities.privileged) return ['--capability=all'];
  const kept = withHelperCapabilities(identity.capabilities);
  const keep = identity.known.filter((cap) => kept.includes(cap));
  const drop = identity.known.filter((cap) => !keep.includes(cap));
  return [`--capability=${keep.join(',')}`, ...(drop.length > 0 ? [`--drop-capability=${drop.join(',')}`] : [])];
}

/** toNspawnArgv returns the arguments (without the program) that run `spec` on `rootfs`. */
export function toNspawnArgv(spec: RunSpec, rootfs: string, request: RunRequest, identity: NspawnIdentity): string[] {
  const args = [
    '--quiet',
    '--register=no',
    '--keep-unit',
    `--directory=${rootfs}`,
    `--machine=${request.name}`,
    `--hostname=${spec.hostname}`,
    `--chdir=${spec.workingDir}`,
    `--kill-signal=${spec.stopSignal}`,
    `--console=${!request.tty ? 'pipe' : request.interactive ? 'interactive' : 'read-only'}`,
  ];
  args.push(...capabilityArgs(request, identity));
  for (const bind of identity.helper.binds) args.push(`--bind-ro=${bind.host}:${bind.container}`);
  const { range } = identity;
  // The overlay is idmapped by undocker (nspawn cannot idmap an overlay); volumes nspawn maps itself.
  if (range !== undefined) args.push(`--private-users=${range.start}:${range.size}`, '--private-users-ownership=off');
  for (const volume of request.volumes) {
    const idmap = range !== undefined && volume.volume === true ? ':idmap' : '';
    args.push(`--bind${volume.readOnly ? '-ro' : ''}=${volume.host}:${volume.container}${idmap}`);
  }
  for (const device of identity.devices) args.push(`--bind=${device.host}:${device.container}`);
  // --init: nspawn's stub init is PID 1, reaping zombies and passing signals on, as docker-init does.
  if (request.init) args.push('--as-pid2');
  // systemd-nspawn's own /dev/shm is half the memory; Docker's is --shm-size.
  for (const mount of [shmMount(request.shmSize), ...request.tmpfs])
    args.push(`--tmpfs=${mount.path}:${mount.options}`);
  for (const ulimit of request.ulimits)
    args.push(`--rlimit=RLIMIT_${ulimit.name.toUpperCase()}=${toLimitPair(ulimit, 'infinity')}`);
  if (request.readOnly) args.push('--read-only');
  if (request.network === 'none') args.push('--private-network');
  if (request.network === 'veth') args.push('--network-veth');
  for (const p of request.publish) args.push(`--port=${p.protocol}:${p.host}:${p.container}`);
  const helper = toHelperArgv(identity.helper, {
    user: spec.user,
    bounding: request.security.capabilities.privileged ? undefined : identity.capabilities,
    noNewPrivileges: request.security.noNewPrivileges,
  });
  return [...args, '--', ...toEnvArgv(spec.env, request.tty), ...helper, ...spec.argv];
}
