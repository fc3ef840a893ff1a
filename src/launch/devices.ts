/**
 * docker run's --device HOST[:CONTAINER[:PERMISSIONS]]: the host's device node appears in the
 * container (a bind mount of it, where Docker makes a node of the same numbers), and the
 * container may read, write or mknod it as PERMISSIONS (rwm) say, on top of what Docker allows
 * every container. LXC's common.conf denies every device not allowed, so LXC gets an allow line
 * (and a deny line for what was not given, as common.conf allows some devices whole);
 * systemd-nspawn without systemd as PID 1 sets no device policy, so a narrower PERMISSIONS
 * becomes a v1 devices.deny line in the run's cgroup. cgroup v2 has no devices file (systemd
 * does it with BPF): refused there, never ignored.
 */
import { statSync } from 'node:fs';
import { UndockerError, UsageError } from '../errors.js';
import type { CgroupSetting } from './resource-limits.js';

/** Device is one --device as given. */
export interface Device {
  host: string;
  container: string;
  /** permissions are some of r (read), w (write) and m (mknod), rwm by default */
  permissions: string;
  /** flag is the option as given, for messages */
  flag: string;
}

/** DeviceNode is a Device with the host node's type and numbers. */
export interface DeviceNode extends Device {
  type: 'c' | 'b';
  major: number;
  minor: number;
}

const PERMISSIONS = /^(?!.*(.).*\1)[rwm]{1,3}$/;

/** parseDevice reads --device as docker run does: a second field of only r, w and m is the permissions. */
export function parseDevice(text: string): Device {
  const fields = text.split(':');
  const [host = '', second, third] = fields;
  const secondIsPermissions = fields.length === 2 && PERMISSIONS.test(second ?? '');
  const container = second === undefined || secondIsPermissions ? host : second;
  const permissions = secondIsPermissions ? (second as string) : (third ?? 'rwm');
  if (fields.length > 3 || !host.startsWith('/') || !container.startsWith('/') || !PERMISSIONS.test(permissions))
    throw new UsageError(
      `--device ${text}: use HOST[:CONTAINER[:PERMISSIONS]], absolute paths and some of rwm, ` +
        'like /dev/fuse:/dev/fuse:rw',
    );
  return { host, container, permissions, flag: `--device ${text}` };
}

/** toDeviceNode looks the host's node up (through symlinks, as Docker does); anything else is one line. */
export function toDeviceNode(device: Device): DeviceNode {
  let stats;
  try {
    stats = statSync(device.host, { bigint: true });
  } catch (error) {
    throw new UndockerError('UNDOCKER_NOT_FOUND', `${device.flag}: ${(error as Error).message}`, { cause: error });
  }
  if (!stats.isCharacterDevice() && !stats.isBlockDevice())
    throw new UndockerError('UNDOCKER_UNSUPPORTED', `${device.flag}: ${device.host} is not a device node`);
  // glibc's gnu_dev_major/minor: the numbers are split across the 64-bit dev_t.
  const rdev = stats.rdev;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { ...device, type: stats.isCharacterDevice() ? 'c' : 'b', major, minor };
}

/** deviceRule is the devices cgroup's line for `node` with `permissions`: `c 1:5 rw`. */
export function deviceRule(node: DeviceNode, permissions: string): string {
  return `${node.type} ${node.major}:${node.minor} ${permissions}`;
}

/**
 * DOCKER_DEVICE_RULES are what Docker's device cgroup allows every container (runc's default
 * allowed devices): mknod of any node, and /dev/null, zero, full, random, urandom, tty, ptmx,
 * the pts and net/tun whole. --device adds to these, so it never narrows them.
 */
const DOCKER_DEVICE_RULES: ReadonlyArray<{ type: 'c' | 'b'; major: number; minor?: number; permissions: string }> = [
  { type: 'c', major: -1, permissions: 'm' },
  { type: 'b', major: -1, permissions: 'm' },
  ...[3, 5, 7, 8, 9].map((minor) => ({ type: 'c' as const, major: 1, minor, permissions: 'rwm' })),
  ...[0, 2].map((minor) => ({ type: 'c' as const, major: 5, minor, permissions: 'rwm' })),
  { type: 'c', major: 136, permissions: 'rwm' },
  { type: 'c', major: 10, minor: 200, permissions: 'rwm' },
];

/** deniedPermissions are the ones of rwm that `node` gets neither from --device nor from Docker's own rules. */
export function deniedPermissions(node: DeviceNode): string {
  const given = DOCKER_DEVICE_RULES.filter(
    (rule) =>
      rule.type === node.type &&
      (rule.major === -1 || rule.major === node.major) &&
      (rule.minor === undefined || rule.minor === node.minor),
  ).reduce((permissions, rule) => permissions + rule.permissions, node.permissions);
  return [...'rwm'].filter((permission) => !given.includes(permission)).join('');
}

/**
 * toDeviceDenials lists what the run's cgroup must refuse for systemd-nspawn: on v1 the
 * permissions not given, as devices.deny lines; nothing when every device has rwm.
 */
export function toDeviceDenials(nodes: readonly DeviceNode[], version: 1 | 2): CgroupSetting[] {
  const out: CgroupSetting[] = [];
  for (const node of nodes) {
    const denied = deniedPermissions(node);
    if (denied === '') continue;
    if (version === 2)
      throw new UndockerError(
        'UNDOCKER_UNSUPPORTED',
        `${node.flag}: on cgroup v2 a device's access is narrowed by a BPF program, which systemd-nspawn runs of ` +
          `undocker do not load: give rwm, or use --runtime lxc`,
      );
    out.push({ controller: 'devices', file: 'devices.deny', value: deviceRule(node, denied), flag: node.flag });
  }
  return out;
}
