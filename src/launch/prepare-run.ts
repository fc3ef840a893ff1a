/**
 * One start of a container, made ready and run: the cached rootfs under the container's overlay,
 * the identity helper bound in, the runtime's argv (or LXC config), and for systemd-nspawn the
 * cgroup holding the resource limits. A container is prepared again at every start, from its
 * stored run spec and request; what a start creates on the host (the cgroup) goes at its end,
 * and the overlay goes with the runtime's mount namespace.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerDirs } from '../cache/container-dirs.js';
import type { RunSpec } from '../config/run-spec.js';
import type { ImageView } from '../cache/image-view.js';
import { probeDirectory } from '../flatten/directory-probe.js';
import type { RootfsProbe } from '../image/types.js';
import { toNspawnArgv } from './nspawn-argv.js';
import { inOverlay, type MountPoints } from './overlay.js';
import { type Launch, runContainer, type RunHooks } from './run-container.js';
import type { RunRequest } from './run-request.js';
import { requireRuntime } from './runtime-check.js';
import { HELPER_DIR } from '../generate/helper-argv.js';
import { findIdentityHelper, type IdentityHelper } from './identity-helper.js';
import { hostCapabilities } from './host-capabilities.js';
import { type CgroupSetting, toCgroupSettings } from './resource-limits.js';
import { cgroupVersion, inCgroup, makeRunCgroup } from './run-cgroup.js';
import { toCapabilities } from '../config/capabilities.js';
import { type DeviceNode, toDeviceDenials, toDeviceNode } from './devices.js';
import { lxcUsernsPlace, type Place } from './lxc-userns-paths.js';
import { claimUidRange, type ClaimedRange, type UidRange } from './uid-range.js';

/** HELPER_MEMO is the file in the cache that remembers where the identity helper's files are. */
export const HELPER_MEMO = 'identity-helper.json';

/** OOM_KILLED is docker run's status for a command the kernel killed for memory: 128 + SIGKILL. */
const OOM_KILLED = 137;

/** HostPlan is what the host must give a run, checked before anything is flattened or made. */
export interface HostPlan {
  devices: DeviceNode[];
  cgroupSettings: CgroupSetting[];
}

/** PreparedRun is a launch ready to run, and what to undo once it ends. */
export interface PreparedRun {
  launch: Launch;
  /** name is the container's, for the cgroup */
  name: string;
  cgroupSettings: CgroupSetting[];
  /** release gives back what the start claimed (a host id range, an lxcpath under /run), once the run ended */
  release: () => void;
}

/** planHost checks that the host has the runtime and the devices asked for, and how limits map to its cgroups. */
export function planHost(request: RunRequest, command: string): HostPlan {
  requireRuntime(request.runtime, command);
  const devices = request.devices.map(toDeviceNode);
  const version = cgroupVersion();
  const cgroupSettings =
    request.runtime === 'nspawn'
      ? [...toCgroupSettings(request.limits, version), ...toDeviceDenials(devices, version)]
      : [];
  return { devices, cgroupSettings };
}

/**
 * mountPoints are what the runtime needs in the tree and the image lacks: the identity helper's
 * bind mounts (made here so a read-only tree can take them too); for systemd-nspawn, /usr, or it
 * refuses the tree ("doesn't look like it has an OS tree"), as for images of one static binary.
 * Where the runtime cannot make its own mount points, they are made here too: in a read-only tree
 * (on both runtimes, volumes and --tmpfs included), and under --userns=auto for systemd-nspawn,
 * which would make them as a host id the container does not have. A run gets them in its
 * overlay; the cache never does.
 */
function mountPoints(request: RunRequest, probe: RootfsProbe, helper: IdentityHelper): MountPoints {
  const nspawn = request.runtime === 'nspawn';
  const own = request.readOnly || (nspawn && request.userns === 'auto');
  const standard = nspawn ? ['usr', 'dev', 'proc', 'sys', 'run', 'tmp', 'etc', 'var'] : ['dev', 'proc', 'sys'];
  const targets = own ? [...request.volumes.map((v) => v.container), ...request.tmpfs.map((t) => t.path)] : [];
  const dirs = [...(own ? standard : nspawn ? ['usr'] : []), ...targets.map((path) => path.slice(1))];
  const files = own && nspawn ? ['etc/resolv.conf', 'etc/localtime'] : [];
  const binds = helper.binds.map((bind) => bind.container.slice(1));
  return {
    dirs: [...dirs.filter((dir) => !probe.exists(dir)), HELPER_DIR.slice(1)],
    files: [...files.filter((file) => !probe.exists(file)), ...binds],
  };
}

async function launchOf(
  spec: RunSpec,
  dirs: ContainerDirs,
  { rootfs, lxcPath, request }: Place,
  helper: IdentityHelper,
  plan: HostPlan,
  range: UidRange | undefined,
): Promise<Launch> {
  const common = {
    runtime: request.runtime,
    stopSignal: spec.stopSignal,
    stopTimeout: request.stopTimeout,
    interactive: request.interactive || request.tty,
  };
  const known = hostCapabilities();
  const capabilities = toCapabilities(request.security.capabilities, known);
  if (request.runtime === 'nspawn') {
    const identity = { helper, capabilities, known, devices: plan.devices, range };
    // SYSTEMD_SECCOMP=0 turns systemd-nspawn's system call filter off, as seccomp=unconfined asks.
    const env: Record<string, string> = request.security.seccomp ? {} : { SYSTEMD_SECCOMP: '0' };
    return {
      ...common,
      program: 'systemd-nspawn',
      args: toNspawnArgv(spec, rootfs, request, identity),
      env,
    } satisfies Launch;
  }
  // Loaded only for LXC: a systemd-nspawn run never needs LXC's config writer.
  const [{ LXC_CONFIG_DIR }, { toLxcExecuteArgv, toLxcRunConfig }] = await Promise.all([
    import('../generate/lxc-config.js'),
    import('./lxc-run-config.js'),
  ]);
  const configPath = join(dirs.dir, 'lxc.conf');
  const version = cgroupVersion();
  writeFileSync(
    configPath,
    toLxcRunConfig(spec, rootfs, request, LXC_CONFIG_DIR, capabilities, helper, plan.devices, version, range),
  );
  return {
    ...common,
    program: 'lxc-execute',
    args: toLxcExecuteArgv(spec, request, lxcPath, configPath, helper, capabilities),
    lxc: { lxcPath: lxcPath, name: request.name },
  } satisfies Launch;
}

/**
 * prepareRun readies one start of `spec` on the cached image (`image`: its stack, and the folder
 * showing it) with the container's own folders `dirs`; the cache root keeps the identity helper's memo.
 */
export async function prepareRun(
  spec: RunSpec,
  image: ImageView,
  dirs: ContainerDirs,
  request: RunRequest,
  plan: HostPlan,
  cacheRoot: string,
): Promise<PreparedRun> {
  const helper = findIdentityHelper(join(cacheRoot, HELPER_MEMO));
  const claimed: ClaimedRange | undefined = request.userns === 'auto' ? claimUidRange(request.name) : undefined;
  let place: Place = { rootfs: dirs.merged, lxcPath: dirs.dir, request, idmaps: [] };
  const release = (): void => {
    claimed?.release();
    // An lxcpath of its own under /run is the run's alone.
    if (place.lxcPath !== dirs.dir) rmSync(place.lxcPath, { recursive: true, force: true });
  };
  try {
    if (request.runtime === 'lxc' && claimed !== undefined) place = lxcUsernsPlace(dirs, request);
    const launch = await launchOf(spec, dirs, place, helper, plan, claimed?.range);
    const points = mountPoints(request, probeDirectory(image.dir), helper);
    const idmap = claimed && { range: claimed.range, idmaps: place.idmaps };
    const overlaid = await inOverlay(launch, image, { ...dirs, merged: place.rootfs }, points, idmap);
    return { launch: overlaid, name: request.name, cgroupSettings: plan.cgroupSettings, release };
  } catch (error) {
    release();
    throw error;
  }
}

/** runPrepared runs a prepared start to its end and returns the container's exit status, as docker run would. */
export async function runPrepared(prepared: PreparedRun, signal: AbortSignal, hooks: RunHooks = {}): Promise<number> {
  const { launch } = prepared;
  if (launch.runtime === 'lxc') return runContainer(launch, signal, hooks);
  const cgroup = makeRunCgroup(prepared.name, prepared.cgroupSettings, cgroupVersion());
  try {
    const status = await runContainer(cgroup === undefined ? launch : inCgroup(launch, cgroup), signal, hooks);
    // systemd-nspawn exits 1 when the command is killed; an OOM kill is 137 under docker run.
    return status === 1 && (cgroup?.oomKills() ?? 0) > 0 ? OOM_KILLED : status;
  } finally {
    cgroup?.remove();
  }
}
