/**
 * The LXC side of a run: a config for `lxc-execute -f`, with the command given on lxc-execute's
 * own command line (argv intact, no config quoting) and ids as -u/-g. The environment goes in
 * argv too, through the identity helper's busybox env (bound read-only), so the command gets
 * docker run's and not LXC's own container=lxc.
 */
import type { Capability } from '../config/capabilities.js';
import type { RunSpec } from '../config/run-spec.js';
import { toLxcValue } from '../generate/lxc-quote.js';
import { lxcSecurityLines } from '../generate/lxc-security.js';
import { renderTemplate } from '../generate/template.js';
import { UsageError } from '../errors.js';
import { type CgroupSetting, toCgroupSettings } from './resource-limits.js';
import { lxcPrlimitLines, lxcTmpfsLines } from '../generate/lxc-walls.js';
import { toHelperArgv, toPlainExecArgv, withHelperCapabilities } from '../generate/helper-argv.js';
import { toEnvArgv } from '../generate/launcher.js';
import { deniedPermissions, type DeviceNode, deviceRule } from './devices.js';
import type { IdentityHelper } from './identity-helper.js';
import type { RunRequest } from './run-request.js';
import type { UidRange } from './uid-range.js';

const NETWORK_TYPE = { host: 'none', none: 'empty', veth: 'veth' } as const;

/**
 * autoMounts are LXC's /proc, /sys and cgroup mounts. A container in a user namespace of its own
 * cannot mount a sysfs in the host's network namespace (the kernel refuses it), so with
 * --userns=auto on the host's network the host's /sys is bound read-only instead, as sys:mixed
 * would show it; common.conf's sys:mixed is cleared first.
 */
function autoMounts(request: RunRequest, range: UidRange | undefined): string[] {
  if (range === undefined || request.network !== 'host') return ['lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed'];
  return [
    'lxc.mount.auto =',
    'lxc.mount.auto = proc:mixed cgroup:mixed',
    'lxc.mount.entry = /sys sys none rbind,ro,create=dir 0 0',
  ];
}

/**
 * Under --userns=auto the identity helper switches ids and groups, as under systemd-nspawn: LXC
 * gives a command no supplementary groups in a user namespace (lxc.init.groups is not applied).
 * LXC keeps the helper's capabilities too, and the helper narrows the bounding set to the asked.
 */
function runtimeCapabilities(request: RunRequest, capabilities: readonly Capability[]): readonly Capability[] {
  return request.userns === 'auto' ? withHelperCapabilities(capabilities) : capabilities;
}

/** mountPath checks a path for an fstab-style lxc.mount.entry, whose fields split on whitespace. */
function mountPath(path: string): string {
  if (/\s/.test(path)) throw new UsageError(`-v: ${JSON.stringify(path)}: an LXC mount entry cannot hold whitespace`);
  return toLxcValue(path, '-v path');
}

/**
 * toLxcRunConfig returns the config text for running `spec` on `rootfs` with `capabilities`;
 * with `range` (--userns=auto), in a user namespace of those host ids, on a rootfs idmapped already.
 */
export function toLxcRunConfig(
  spec: RunSpec,
  rootfs: string,
  request: RunRequest,
  templateConfig: string,
  capabilities: readonly Capability[],
  helper: IdentityHelper,
  devices: readonly DeviceNode[],
  cgroupVersion: 1 | 2 = 1,
  range?: UidRange,
): string {
  if (request.publish.length > 0)
    throw new UsageError('-p: LXC has no port publishing; use --runtime nspawn with --network veth');
  const mounts = [
    // The mount points are in the run's overlay already, made for a read-only tree too.
    ...helper.binds.map(
      (bind) => `lxc.mount.entry = ${mountPath(bind.host)} ${bind.container.slice(1)} none bind,ro 0 0`,
    ),
    ...request.volumes.map(
      (v) =>
        `lxc.mount.entry = ${mountPath(v.host)} ${mountPath(v.container).slice(1)} none ` +
        `bind,create=dir${v.readOnly ? ',ro' : ''} 0 0`,
    ),
    ...devices.map(
      (d) => `lxc.mount.entry = ${mountPath(d.host)} ${mountPath(d.container).slice(1)} none bind,create=file 0 0`,
    ),
    ...lxcTmpfsLines(request),
  ];
  const key = cgroupVersion === 1 ? 'lxc.cgroup' : 'lxc.cgroup2';
  const cgroups = [
    ...toCgroupSettings(request.limits, cgroupVersion).map((s: CgroupSetting) => `${key}.${s.file} = ${s.value}`),
    // common.conf denies every device it does not list, and lists some (/dev/zero, /dev/fuse) with rwm.
    ...devices.flatMap((d) => {
      const denied = deniedPermissions(d);
      const allow = `${key}.devices.allow = ${deviceRule(d, d.permissions)}`;
      return denied === '' ? [allow] : [allow, `${key}.devices.deny = ${deviceRule(d, denied)}`];
    }),
  ];
  return renderTemplate('lxc-run.conf', {
    template_config: templateConfig,
    rootfs: toLxcValue(rootfs, 'rootfs path'),
    read_only: request.readOnly ? ['lxc.rootfs.options = ro'] : [],
    cwd: toLxcValue(spec.workingDir, 'working directory'),
    groups: [`lxc.init.groups = ${spec.user.groups.join(',')}`],
    stop_signal: spec.stopSignal,
    hostname: spec.hostname,
    auto_mounts: autoMounts(request, range),
    network: NETWORK_TYPE[request.network],
    mounts,
    idmap: range === undefined ? [] : ['u', 'g'].map((kind) => `lxc.idmap = ${kind} 0 ${range.start} ${range.size}`),
    security: [
      ...lxcSecurityLines({
        capabilities: runtimeCapabilities(request, capabilities),
        privileged: request.security.capabilities.privileged,
        noNewPrivileges: request.security.noNewPrivileges,
        seccomp: request.security.seccomp,
      }),
      ...lxcPrlimitLines(request),
      ...cgroups,
    ],
  });
}

/** toLxcExecuteArgv returns lxc-execute's arguments (without the program). */
export function toLxcExecuteArgv(
  spec: RunSpec,
  request: RunRequest,
  lxcPath: string,
  configPath: string,
  helper: IdentityHelper,
  capabilities: readonly Capability[] = [],
): string[] {
  const switches = request.userns === 'auto';
  const identity = {
    user: spec.user,
    bounding: request.security.capabilities.privileged ? undefined : capabilities,
    noNewPrivileges: request.security.noNewPrivileges,
  };
  return [
    '-P',
    lxcPath,
    '-n',
    request.name,
    '-f',
    configPath,
    '-u',
    String(switches ? 0 : spec.user.uid),
    '-g',
    String(switches ? 0 : spec.user.gid),
    '--',
    ...toEnvArgv(spec.env, request.tty),
    ...(switches ? toHelperArgv(helper, identity) : toPlainExecArgv(helper)),
    ...spec.argv,
  ];
}
