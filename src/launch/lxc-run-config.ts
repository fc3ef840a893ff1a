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
import { toPlainExecArgv } from '../generate/helper-argv.js';
import { toEnvArgv } from '../generate/launcher.js';
import { deniedPermissions, type DeviceNode, deviceRule } from './devices.js';
import type { IdentityHelper } from './identity-helper.js';
import type { RunRequest } from './run-request.js';

const NETWORK_TYPE = { host: 'none', none: 'empty', veth: 'veth' } as const;

/** mountPath checks a path for an fstab-style lxc.mount.entry, whose fields split on whitespace. */
function mountPath(path: string): string {
  if (/\s/.test(path)) throw new UsageError(`-v: ${JSON.stringify(path)}: an LXC mount entry cannot hold whitespace`);
  return toLxcValue(path, '-v path');
}

/** toLxcRunConfig returns the config text for running `spec` on `rootfs` with `capabilities`. */
export function toLxcRunConfig(
  spec: RunSpec,
  rootfs: string,
  request: RunRequest,
  templateConfig: string,
  capabilities: readonly Capability[],
  helper: IdentityHelper,
  devices: readonly DeviceNode[],
  cgroupVersion: 1 | 2 = 1,
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
    network: NETWORK_TYPE[request.network],
    mounts,
    security: [
      ...lxcSecurityLines({
        capabilities,
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
): string[] {
  return [
    '-P',
    lxcPath,
    '-n',
    request.name,
    '-f',
    configPath,
    '-u',
    String(spec.user.uid),
    '-g',
    String(spec.user.gid),
    '--',
    ...toEnvArgv(spec.env, request.tty),
    ...toPlainExecArgv(helper),
    ...spec.argv,
  ];
}
