/**
 * runImage is `undocker run` as a library call: the image's cached rootfs under a fresh
 * overlay, its run spec with the user's overrides, and one runtime invocation. The container's
 * folder is opened before the image is flattened, so a prune running meanwhile sees the image
 * as in use; whatever happens, the folder is closed (the overlay goes with the runtime's mount
 * namespace).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedRootfs } from '../cache/image-cache.js';
import { closeContainer, openContainer, recordRuntime } from '../cache/container-dirs.js';
import { loadRunSpec } from '../config/load-run-spec.js';
import type { RunOverrides, RunSpec } from '../config/run-spec.js';
import { probeDirectory } from '../flatten/directory-probe.js';
import { LXC_CONFIG_DIR } from '../generate/lxc-config.js';
import type { Image, RootfsProbe } from '../image/types.js';
import { toLxcExecuteArgv, toLxcRunConfig } from './lxc-run-config.js';
import { toNspawnArgv } from './nspawn-argv.js';
import { inOverlay, type MountPoints } from './overlay.js';
import { type Launch, runContainer } from './run-container.js';
import type { RunRequest } from './run-request.js';
import { requireRuntime } from './runtime-check.js';
import { HELPER_DIR } from '../generate/helper-argv.js';
import { findIdentityHelper, type IdentityHelper } from './identity-helper.js';
import { hostCapabilities } from './host-capabilities.js';
import { toCgroupSettings } from './resource-limits.js';
import { cgroupVersion, inCgroup, makeRunCgroup } from './run-cgroup.js';
import { toCapabilities } from '../config/capabilities.js';
import { type DeviceNode, toDeviceDenials, toDeviceNode } from './devices.js';
import type { FlattenProgress } from '../flatten/rootfs-tar.js';

/** HELPER_MEMO is the file in the cache that remembers where the identity helper's files are. */
const HELPER_MEMO = 'identity-helper.json';

/** OOM_KILLED is docker run's status for a command the kernel killed for memory: 128 + SIGKILL. */
const OOM_KILLED = 137;

/** RunImageOptions are a run's request, overrides and surroundings. */
export interface RunImageOptions {
  request: RunRequest;
  overrides: RunOverrides;
  /** keep keeps the container's changes under its name for the next run of that name */
  keep: boolean;
  cacheRoot: string;
  /** where names the image in messages */
  where: string;
  signal: AbortSignal;
  warn: (message: string) => void;
  /** progress shows the first run's flatten into the cache */
  progress?: FlattenProgress;
}

/**
 * mountPoints are what the runtime needs in the tree and the image lacks: the identity helper's
 * bind mounts (made here so a read-only tree can take them too); for systemd-nspawn, /usr, or it
 * refuses the tree ("doesn't look like it has an OS tree"), as for images of one static binary,
 * and, under --read-only, the mount points it cannot make itself. A run gets them in its
 * overlay; the cache never does.
 */
function mountPoints(request: RunRequest, probe: RootfsProbe, helper: IdentityHelper): MountPoints {
  const nspawn = request.runtime === 'nspawn';
  const dirs = !nspawn ? [] : request.readOnly ? ['usr', 'dev', 'proc', 'sys', 'run', 'tmp', 'etc', 'var'] : ['usr'];
  const files = nspawn && request.readOnly ? ['etc/resolv.conf', 'etc/localtime'] : [];
  const binds = helper.binds.map((bind) => bind.container.slice(1));
  return {
    dirs: [...dirs.filter((dir) => !probe.exists(dir)), HELPER_DIR.slice(1)],
    files: [...files.filter((file) => !probe.exists(file)), ...binds],
  };
}

function launchOf(
  spec: RunSpec,
  rootfs: string,
  dir: string,
  options: RunImageOptions,
  helper: IdentityHelper,
  devices: DeviceNode[],
): Launch {
  const { request } = options;
  const common = {
    runtime: request.runtime,
    stopSignal: spec.stopSignal,
    stopTimeout: request.stopTimeout,
    interactive: request.interactive || request.tty,
  };
  const known = hostCapabilities();
  const capabilities = toCapabilities(request.security.capabilities, known);
  if (request.runtime === 'nspawn') {
    const identity = { helper, capabilities, known, devices };
    // SYSTEMD_SECCOMP=0 turns systemd-nspawn's system call filter off, as seccomp=unconfined asks.
    const env: Record<string, string> = request.security.seccomp ? {} : { SYSTEMD_SECCOMP: '0' };
    return { ...common, program: 'systemd-nspawn', args: toNspawnArgv(spec, rootfs, request, identity), env };
  }
  const configPath = join(dir, 'lxc.conf');
  const config = toLxcRunConfig(spec, rootfs, request, LXC_CONFIG_DIR, capabilities, helper, devices, cgroupVersion());
  writeFileSync(configPath, config);
  return {
    ...common,
    program: 'lxc-execute',
    args: toLxcExecuteArgv(spec, request, dir, configPath, helper),
    lxc: { lxcPath: dir, name: request.name },
  };
}

/** runImage runs `image` as asked and returns the container's exit status. */
export async function runImage(image: Image, options: RunImageOptions): Promise<number> {
  const { request, cacheRoot: root, signal } = options;
  requireRuntime(request.runtime, 'run');
  // Devices and their policy are checked before anything is flattened.
  const devices = request.devices.map(toDeviceNode);
  const version = cgroupVersion();
  const cgroupSettings =
    request.runtime === 'nspawn'
      ? [...toCgroupSettings(request.limits, version), ...toDeviceDenials(devices, version)]
      : [];
  const dirs = openContainer(root, request.name, image.id, options.keep);
  try {
    const { rootfs } = await cachedRootfs(root, image, {
      signal,
      warn: options.warn,
      ...(options.progress ? { progress: options.progress } : {}),
    });
    const probe = probeDirectory(rootfs);
    const { spec } = loadRunSpec(image, {
      where: options.where,
      overrides: options.overrides,
      name: request.name,
      warn: options.warn,
      probe,
    });
    const helper = findIdentityHelper(join(root, HELPER_MEMO));
    const launch = launchOf(spec, dirs.merged, dirs.dir, options, helper, devices);
    signal.throwIfAborted();
    const add = mountPoints(request, probe, helper);
    const started = (pid: number): void => recordRuntime(dirs, image.id, options.keep, pid);
    const overlaid = await inOverlay(launch, rootfs, dirs, add);
    if (request.runtime === 'lxc') return await runContainer(overlaid, signal, started);
    const cgroup = makeRunCgroup(request.name, cgroupSettings, version);
    try {
      const status = await runContainer(cgroup === undefined ? overlaid : inCgroup(overlaid, cgroup), signal, started);
      // systemd-nspawn exits 1 when the command is killed; an OOM kill is 137 under docker run.
      return status === 1 && (cgroup?.oomKills() ?? 0) > 0 ? OOM_KILLED : status;
    } finally {
      cgroup?.remove();
    }
  } finally {
    closeContainer(dirs, image.id, options.keep);
  }
}
