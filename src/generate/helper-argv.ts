/**
 * The identity helper's command line: util-linux's setpriv, run through its own dynamic loader
 * from HELPER_DIR, so it works in any image (busybox, distroless, scratch) and never reads the
 * image's libc or NSS. It sets the bounding set, inheritable set, no_new_privs, gid, groups and
 * uid as runc does for docker run, then execs the command, which keeps its PID. systemd-nspawn's
 * own --user and User= need the image's getent, which most images lack.
 */
import type { Capability } from '../config/capabilities.js';
import type { ResolvedUser } from '../config/resolve-user.js';

/** HELPER_DIR is where the helper appears inside a container, as /.dockerenv does under Docker. */
export const HELPER_DIR = '/.undocker';

/** HELPER_CAPABILITIES are what the helper needs to switch ids and shrink the bounding set: the runtime keeps them. */
const HELPER_CAPABILITIES: readonly Capability[] = ['CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP'];

/** withHelperCapabilities is `capabilities`, then those of HELPER_CAPABILITIES they lack: what a runtime keeps. */
export function withHelperCapabilities(capabilities: readonly Capability[]): Capability[] {
  return [...capabilities, ...HELPER_CAPABILITIES.filter((cap) => !capabilities.includes(cap))];
}

/** HelperLoader names the dynamic loader, inside the container, that runs the helper. */
export interface HelperLoader {
  loader: string;
}

/** HelperIdentity is what the helper sets before it execs the command. */
export interface HelperIdentity {
  user: ResolvedUser;
  /** bounding is the bounding set to keep, or undefined to keep the runtime's (--privileged) */
  bounding: readonly Capability[] | undefined;
  noNewPrivileges: boolean;
}

function setprivArgv(helper: HelperLoader): string[] {
  return [helper.loader, '--library-path', HELPER_DIR, `${HELPER_DIR}/setpriv`];
}

/**
 * toPlainExecArgv runs the helper with no change at all: a plain execvp of the command, for a
 * runtime that switched users itself (LXC's lxc.init.uid).
 */
export function toPlainExecArgv(helper: HelperLoader): string[] {
  return [...setprivArgv(helper), '--'];
}

/** toHelperArgv is the argv prefix that runs the helper, to be followed by the command. */
export function toHelperArgv(helper: HelperLoader, identity: HelperIdentity): string[] {
  const { user, bounding } = identity;
  const caps = (bounding ?? []).map((cap) => `+${cap.slice('CAP_'.length).toLowerCase()}`);
  return [
    ...setprivArgv(helper),
    ...(identity.noNewPrivileges ? ['--nnp'] : []),
    ...(bounding !== undefined ? [`--bounding-set=${['-all', ...caps].join(',')}`] : []),
    '--inh-caps=-all',
    `--regid=${user.gid}`,
    user.groups.length > 0 ? `--groups=${user.groups.join(',')}` : '--clear-groups',
    `--reuid=${user.uid}`,
    '--',
  ];
}
