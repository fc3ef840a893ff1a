/**
 * Linux capabilities as docker run grants them: Docker's default set, changed by --cap-add and
 * --cap-drop the way moby's TweakCapabilities does (an added ALL keeps only what is dropped out;
 * a dropped ALL keeps only what is added), or every capability with --privileged. Names follow
 * capabilities(7); `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` are one capability.
 */
import { UsageError } from '../errors.js';

/** CAPABILITIES are capabilities(7)'s names, in the kernel's numbering (CAP_CHOWN is 0). */
export const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** Capability is one capability's name, CAP_ prefixed. */
export type Capability = (typeof CAPABILITIES)[number];

/** DOCKER_DEFAULT_CAPABILITIES is what docker run grants (moby's oci/caps/defaults.go), in kernel order: 0xa80425fb. */
export const DOCKER_DEFAULT_CAPABILITIES: readonly Capability[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_RAW',
  'CAP_SYS_CHROOT',
  'CAP_MKNOD',
  'CAP_AUDIT_WRITE',
  'CAP_SETFCAP',
];

/** CapabilityRequest is docker run's --cap-add, --cap-drop and --privileged, as given. */
export interface CapabilityRequest {
  add: readonly string[];
  drop: readonly string[];
  privileged: boolean;
}

const ALL = 'ALL';

/** toCapabilityName reads one --cap-add or --cap-drop value: ALL, or a capability with or without CAP_. */
export function toCapabilityName(text: string, flag: string): Capability | typeof ALL {
  const upper = text.trim().toUpperCase();
  if (upper === ALL) return ALL;
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(CAPABILITIES as readonly string[]).includes(name)) {
    throw new UsageError(`${flag} ${text}: unknown capability; capabilities(7) lists them, as CAP_NAME or NAME`);
  }
  return name as Capability;
}

/**
 * toCapabilities is the set a container gets, in CAPABILITIES order. `all` is every capability
 * the host can grant (its bounding set), which is what ALL and --privileged mean.
 */
export function toCapabilities(request: CapabilityRequest, all: readonly Capability[]): Capability[] {
  if (request.privileged) return [...all];
  const add = request.add.map((name) => toCapabilityName(name, '--cap-add'));
  const drop = request.drop.map((name) => toCapabilityName(name, '--cap-drop'));
  let kept: Capability[];
  if (add.includes(ALL)) kept = all.filter((cap) => !drop.includes(cap));
  else if (drop.includes(ALL)) kept = add as Capability[];
  else kept = [...DOCKER_DEFAULT_CAPABILITIES.filter((cap) => !drop.includes(cap)), ...(add as Capability[])];
  return CAPABILITIES.filter((cap) => kept.includes(cap));
}

/** capabilityMask is a set as /proc/PID/status prints it (CapBnd: 00000000a80425fb). */
export function capabilityMask(caps: readonly Capability[]): string {
  let mask = 0n;
  for (const cap of caps) mask |= 1n << BigInt(CAPABILITIES.indexOf(cap));
  return mask.toString(16).padStart(16, '0');
}

/** capabilitiesOfMask reads a /proc/PID/status mask back into names. */
export function capabilitiesOfMask(hex: string): Capability[] {
  const mask = BigInt(`0x${hex}`);
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}
