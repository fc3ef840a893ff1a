/**
 * renderLxcConfig formats a RunSpec as an LXC container config (lxc.container.conf(5)), as the
 * Go undocker's lxcconfig did: common.conf included, the command for both lxc-start
 * (lxc.init.cmd) and lxc-execute (lxc.execute.cmd), environment, working directory, ids, stop
 * signal. Networking is left to the host's LXC defaults. In a tree undocker writes
 * (lxc-template, install), both commands run the launcher, which holds the command and
 * environment whole; LXC itself switches to the user.
 */
import { type Capability, DOCKER_DEFAULT_CAPABILITIES } from '../config/capabilities.js';
import { lxcSecurityLines } from './lxc-security.js';
import { lxcPrlimitLines, lxcTmpfsLines } from './lxc-walls.js';
import { UndockerError } from '../errors.js';
import type { RunSpec } from '../config/run-spec.js';
import { NO_WALLS, type Walls } from '../config/tmpfs-ulimits.js';
import { quoteExecuteWord, toInitWord, toLxcValue } from './lxc-quote.js';
import { type HelperLoader, toPlainExecArgv } from './helper-argv.js';
import { LAUNCHER, renderLauncher } from './launcher.js';
import { renderTemplate } from './template.js';
import { toVolumeMounts } from './volumes.js';

/** LXC_ARCH maps OCI architectures to lxc.arch names. */
const LXC_ARCH: Record<string, string> = {
  amd64: 'x86_64',
  '386': 'i686',
  arm64: 'aarch64',
  arm: 'armv7l',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** TEMPLATE_CONFIG is the placeholder lxc-create's local template replaces with LXC's config folder. */
export const TEMPLATE_CONFIG = 'LXC_TEMPLATE_CONFIG';

/** LXC_CONFIG_DIR is where LXC packages install common.conf (what LXC_TEMPLATE_CONFIG becomes). */
export const LXC_CONFIG_DIR = '/usr/share/lxc/config';

/** LxcOptions shape the config beyond the run spec. */
export interface LxcOptions {
  /** templateConfig is LXC's config folder, or the LXC_TEMPLATE_CONFIG placeholder */
  templateConfig: string;
  volumeDir?: string;
  /** executeOnly leaves lxc.init.cmd out: lxc-start then boots the image's /sbin/init */
  executeOnly: boolean;
  /** launcher is the identity helper in the tree undocker writes: the launcher beside it runs the command */
  launcher?: HelperLoader;
  header: string;
  warn: (message: string) => void;
  /** capabilities the command gets: Docker's default set when absent */
  capabilities?: readonly Capability[];
  privileged?: boolean;
  noNewPrivileges?: boolean;
  /** seccomp false is seccomp=unconfined: no seccomp profile */
  seccomp?: boolean;
  /** walls are --tmpfs, --ulimit and --shm-size: Docker's 64 MiB /dev/shm alone when absent */
  walls?: Walls;
}

function initCmd(spec: RunSpec, options: LxcOptions): string[] {
  if (options.executeOnly) {
    options.warn(
      "the config has no lxc.init.cmd (--execute-only): run it with lxc-execute; lxc-start would run the image's " +
        '/sbin/init',
    );
    return [];
  }
  if (options.launcher !== undefined) return [`lxc.init.cmd = ${LAUNCHER}`];
  try {
    return [`lxc.init.cmd = ${spec.argv.map((word, i) => toInitWord(word, `argument ${i} of the command`)).join(' ')}`];
  } catch (error) {
    if (!(error instanceof UndockerError)) throw error;
    throw new UndockerError(
      error.code,
      `${error.message}; pass --execute-only for a config that only lxc-execute runs, which keeps every argument whole`,
    );
  }
}

function mountLines(spec: RunSpec, options: LxcOptions): string[] {
  const mounts = toVolumeMounts(spec.volumes, options.volumeDir);
  if (mounts.length > 0 && options.volumeDir === undefined)
    options.warn(
      `volumes ${spec.volumes.join(' ')} are temporary file systems, emptied at every start: give --volume-dir DIR ` +
        `to keep them`,
    );
  return [
    ...lxcTmpfsLines(options.walls ?? NO_WALLS),
    ...mounts.map((m) =>
      m.hostPath === undefined
        ? `lxc.mount.entry = tmpfs ${m.path.slice(1)} tmpfs defaults,create=dir 0 0`
        : `lxc.mount.entry = ${m.hostPath} ${m.path.slice(1)} none bind,create=dir 0 0`,
    ),
  ];
}

/** renderLxcLauncher returns the launcher both commands run when the tree has the identity helper. */
export function renderLxcLauncher(spec: RunSpec, options: LxcOptions & { launcher: HelperLoader }): string {
  return renderLauncher(spec, toPlainExecArgv(options.launcher), options.header);
}

/** execLines are lxc.execute.cmd and the environment: the launcher's, or the command's own words. */
function execLines(spec: RunSpec, options: LxcOptions): { execute_cmd: string; environment: string[] } {
  if (options.launcher !== undefined)
    return { execute_cmd: LAUNCHER, environment: [`# The command and its environment: ${LAUNCHER} in the rootfs.`] };
  return {
    execute_cmd: spec.argv.map((word, i) => quoteExecuteWord(word, `argument ${i} of the command`)).join(' '),
    environment: spec.env.map(
      ([name, value]) => `lxc.environment = ${toLxcValue(`${name}=${value}`, `environment variable ${name}`)}`,
    ),
  };
}

/** renderLxcConfig returns the text of an LXC config for `spec`. */
export function renderLxcConfig(spec: RunSpec, options: LxcOptions): string {
  if (spec.healthcheck !== undefined)
    options.warn(`the image's Healthcheck (${JSON.stringify(spec.healthcheck.Test)}) has no LXC equivalent: left out`);
  if (spec.ports.length > 0)
    options.warn(
      `ports ${spec.ports.map((p) => `${p.port}/${p.protocol}`).join(' ')}: LXC has no port mapping; the ` +
        `container's network decides how they are reached`,
    );
  const arch = LXC_ARCH[spec.architecture];
  if (arch === undefined) options.warn(`architecture ${spec.architecture} has no lxc.arch name: left out`);
  return renderTemplate('lxc.conf', {
    header: options.header,
    template_config: options.templateConfig,
    arch: arch === undefined ? [] : [`lxc.arch = ${arch}`],
    init_cmd: initCmd(spec, options),
    ...execLines(spec, options),
    cwd: toLxcValue(spec.workingDir, 'WorkingDir'),
    uid: String(spec.user.uid),
    gid: String(spec.user.gid),
    groups: [`lxc.init.groups = ${spec.user.groups.join(',')}`],
    stop_signal: spec.stopSignal,
    hostname: spec.hostname,
    mounts: mountLines(spec, options),
    security: [
      ...lxcSecurityLines({
        capabilities: options.capabilities ?? DOCKER_DEFAULT_CAPABILITIES,
        privileged: options.privileged ?? false,
        noNewPrivileges: options.noNewPrivileges ?? false,
        seccomp: options.seccomp ?? true,
      }),
      ...lxcPrlimitLines(options.walls ?? NO_WALLS),
    ],
  });
}
