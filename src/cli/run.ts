/**
 * `undocker run [OPTIONS] IMAGE [COMMAND [ARG...]]` and `undocker create`: a new container of an
 * image, under systemd-nspawn or LXC, with docker run's options. In the foreground the exit
 * status is the container's; 125 means undocker failed before the container started (as with
 * docker run), 130/143 that it was stopped by a signal. With -d (and for create) the container's
 * id is printed. Containers stay after they exit, as docker's do, unless --rm.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { cacheRoot } from '../cache/cache-root.js';
import { parseEnvFile, toEnvEntry } from '../config/env-file.js';
import { checkMachineName, toMachineName } from '../config/machine-name.js';
import { createHoldingView, type CreateOptions } from '../container/create.js';
import { runAttached, startDetached } from '../container/lifecycle.js';
import { parseLogOptions } from '../container/log-options.js';
import { checkContainerName } from '../container/records.js';
import { NO_RESTART, parseRestartPolicy, type RestartPolicy } from '../container/restart-policy.js';
import { parseVolumeFlag, type VolumeRequest } from '../container/volume-mounts.js';
import type { RunOverrides } from '../config/run-spec.js';
import { UndockerError, UsageError } from '../errors.js';
import { describeImage } from '../image/select.js';
import { randomHex } from '../host/random-hex.js';
import { checkLimits, parseBytes, type ResourceLimits } from '../launch/resource-limits.js';
import { parseDevice } from '../launch/devices.js';
import {
  type BindMount,
  type Network,
  parsePublish,
  type RunRequest,
  type Runtime,
  type Userns,
} from '../launch/run-request.js';
import { type ImageOptions, registryFlags, withImage } from './archive.js';
import { signalName, wholeSeconds } from './argument-parsers.js';
import { networkOption, runtimeOption, USERNS_HELP, usernsOption } from './choice-options.js';
import { ExitStatus, FAILED_TO_START } from './exit-status.js';
import { parseImageArgument } from './image-argument.js';
import { terminalProgress } from './progress.js';
import { printLine, printWarning } from './output.js';
import { securityFlags, securityOf, type SecurityFlags } from './security-options.js';
import { type WallFlags, wallFlags, wallsOf } from './wall-options.js';
import { collect } from './repeatable.js';

interface RunOptions extends ImageOptions, SecurityFlags, WallFlags {
  runtime: Runtime;
  env: string[];
  envFile: string[];
  volume: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  name?: string;
  tty?: boolean;
  interactive?: boolean;
  network: Network;
  publish: string[];
  hostname?: string;
  readOnly?: boolean;
  platform?: string;
  image?: string;
  rm?: boolean;
  keep?: boolean;
  detach?: boolean;
  restart: RestartPolicy;
  logOpt: string[];
  publishAll?: boolean;
  stopTimeout: number;
  stopSignal?: string;
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  pidsLimit?: string;
  device: string[];
  init?: boolean;
  userns: Userns;
}

/** limitsOf reads the resource flags as docker run does. */
function limitsOf(options: RunOptions): ResourceLimits {
  const number = (text: string, flag: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} ${text}: give a number`);
    return value;
  };
  const { memory, memorySwap, cpus, cpuShares, cpusetCpus, pidsLimit } = options;
  return checkLimits({
    ...(memory !== undefined ? { memory: parseBytes(memory, '--memory') } : {}),
    ...(memorySwap !== undefined
      ? { memorySwap: memorySwap === '-1' ? -1 : parseBytes(memorySwap, '--memory-swap') }
      : {}),
    ...(cpus !== undefined ? { cpus: number(cpus, '--cpus') } : {}),
    ...(cpuShares !== undefined ? { cpuShares: number(cpuShares, '--cpu-shares') } : {}),
    ...(cpusetCpus !== undefined ? { cpusetCpus: checkCpuList(cpusetCpus) } : {}),
    ...(pidsLimit !== undefined ? { pidsLimit: number(pidsLimit, '--pids-limit') } : {}),
  });
}

function checkCpuList(text: string): string {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) throw new UsageError(`--cpuset-cpus ${text}: give CPUs like 0-2,4`);
  return text;
}

function overridesOf(options: RunOptions, command: string[]): RunOverrides {
  const env: string[] = [];
  for (const file of options.envFile) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--env-file ${file}: ${(error as Error).message}`);
    }
    env.push(...parseEnvFile(text, file));
  }
  for (const entry of options.env) {
    const value = toEnvEntry(entry, '-e');
    if (value !== undefined) env.push(value);
  }
  return {
    env,
    ...(command.length > 0 ? { cmd: command } : {}),
    // docker run --entrypoint takes one word; an empty one clears the image's.
    ...(options.entrypoint !== undefined ? { entrypoint: options.entrypoint === '' ? [] : [options.entrypoint] } : {}),
    ...(options.workdir !== undefined ? { workingDir: options.workdir } : {}),
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
    ...(options.stopSignal !== undefined ? { stopSignal: options.stopSignal } : {}),
  };
}

/** restartPolicy checks --restart before anything is opened. */
function restartPolicy(text: string): RestartPolicy {
  try {
    return parseRestartPolicy(text);
  } catch {
    throw new InvalidArgumentError('Use no, on-failure[:N], always or unless-stopped.');
  }
}

/** mountsOf splits the -v flags into bind mounts and volumes. */
function mountsOf(options: RunOptions): { binds: BindMount[]; volumes: VolumeRequest[] } {
  const binds: BindMount[] = [];
  const volumes: VolumeRequest[] = [];
  for (const flag of options.volume) {
    const mount = parseVolumeFlag(flag);
    if ('bind' in mount) binds.push(mount.bind);
    else volumes.push(mount.volume);
  }
  return { binds, volumes };
}

/** requestOf checks the run flags, before any image is opened, and returns the request for a container name. */
function requestOf(options: RunOptions, command: string, volumes: BindMount[]): (name: string) => RunRequest {
  const publish = options.publish.map(parsePublish);
  for (const [flag, used] of [
    ['-p', publish.length > 0],
    ['-P', options.publishAll === true],
  ] as const) {
    if (used && options.network !== 'veth')
      throw new UsageError(
        `${command}: ${flag} needs --network veth: with the host's network the container's ports are the host's`,
      );
  }
  if (options.tty && options.interactive && !process.stdin.isTTY && command === 'run' && !options.detach)
    throw new UsageError('run: -t -i: the input device is not a TTY');
  const security = securityOf(options);
  const { tmpfs, ulimits, shmSize } = wallsOf(options);
  const limits = limitsOf(options);
  const devices = options.device.map(parseDevice);
  return (name) => ({
    runtime: options.runtime,
    network: options.network,
    volumes,
    publish,
    tty: options.tty ?? false,
    interactive: options.interactive ?? false,
    readOnly: options.readOnly ?? false,
    name,
    stopTimeout: options.stopTimeout,
    security,
    tmpfs,
    ulimits,
    limits,
    shmSize,
    devices,
    init: options.init ?? false,
    userns: options.userns,
  });
}

function defaultName(imageName: string): string {
  const base = toMachineName(imageName).slice(0, 56).replace(/-+$/, '');
  return `${base}-${randomHex(3)}`;
}

/** checkModes refuses flag combinations docker refuses, or that undocker cannot carry out. */
function checkModes(options: RunOptions, command: 'run' | 'create'): void {
  if (options.keep)
    throw new UsageError(
      `${command}: --keep is gone: containers now stay after they exit, as docker's do; ` +
        '`undocker start -a NAME` runs one again, --rm discards it',
    );
  if (options.rm && options.restart.name !== 'no')
    throw new UsageError(`${command}: conflicting options: --restart and --rm`);
  if (options.detach && (options.tty || options.interactive))
    throw new UsageError(
      'run: -d with -i or -t: undocker does not attach to a detached container; use undocker exec -it NAME sh',
    );
  if (command === 'run' && !options.detach && options.restart.name !== 'no')
    printWarning(
      `warning: --restart ${options.restart.name} is carried out for a detached container: this run in the ` +
        'foreground ends when the container exits (use -d, or undocker generate systemd)',
    );
}

async function run(
  command: 'run' | 'create',
  imageText: string,
  args: string[],
  options: RunOptions,
  signal: AbortSignal,
): Promise<number> {
  checkModes(options, command);
  const name = options.name !== undefined ? checkMachineName(checkContainerName(options.name)) : undefined;
  const { input, selector } = parseImageArgument(imageText, options.image);
  if (input === '-' && (options.tty || options.interactive))
    throw new UsageError(`${command}: standard input cannot be both the archive and the container's input`);
  const overrides = overridesOf(options, args);
  const { binds, volumes } = mountsOf(options);
  const requestFor = requestOf(options, command, binds);
  const log = parseLogOptions(options.logOpt);
  const root = cacheRoot();
  return withImage(
    input,
    selector,
    options,
    signal,
    async (image) => {
      const progress = terminalProgress(`flattening ${describeImage(image)} into the cache`, options.quiet);
      const create: CreateOptions = {
        request: requestFor(name ?? defaultName(describeImage(image))),
        overrides,
        restart: options.restart,
        autoRemove: options.rm ?? false,
        log,
        volumes,
        publishAll: options.publishAll ?? false,
        cacheRoot: root,
        command,
        signal,
        warn: (message) => printWarning(`warning: ${message}`),
        ...(progress ? { progress } : {}),
        where: `image ${describeImage(image)} of ${input === '-' ? 'standard input' : input}`,
      };
      const { container, view } = await createHoldingView(image, create);
      if (command === 'create' || options.detach) {
        // The monitor, another process, mounts its own.
        await view.close();
        if (command === 'run') await startDetached(root, container);
        printLine(container.config.id);
        return 0;
      }
      return runAttached(root, container, signal, view);
    },
    // The cache remembers what the archive held: a warm run reads none of it.
    root,
  );
}

/** containerFlags adds the flags run and create share: everything a container is made with. */
function containerFlags(command: Command): Command {
  return wallFlags(securityFlags(registryFlags(command)))
    .argument('<image>', 'image archive or OCI layout directory, or ARCHIVE:NAME[:TAG]')
    .argument('[command...]', "command and arguments replacing the image's Cmd")
    .usage('[options] IMAGE [COMMAND [ARG...]]')
    .passThroughOptions()
    .addOption(runtimeOption('the container runtime'))
    .option(
      '-e, --env <name=value>',
      "set an environment variable (NAME alone takes the host's value; repeatable)",
      collect,
      [],
    )
    .option('--env-file <file>', 'read NAME=VALUE lines from a file (repeatable)', collect, [])
    .option(
      '-v, --volume <source:container[:ro]>',
      'bind a host folder (/HOST:/PATH), mount a named volume (NAME:/PATH) or an anonymous one (/PATH); repeatable',
      collect,
      [],
    )
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or uid, and group, to run as')
    .option('--entrypoint <program>', "replace the image's Entrypoint (and discard its Cmd)")
    .option('--name <name>', 'container name, also the hostname (default: the image name and a random suffix)')
    .option('-t, --tty', 'give the container a terminal')
    .option('-i, --interactive', 'pass standard input to the container')
    .addOption(networkOption("the host's network, none, or a private veth pair"))
    .addOption(usernsOption(USERNS_HELP))
    .option(
      '-p, --publish <[host:]container[/proto]>',
      'map a host port to a container port, with --network veth (repeatable)',
      collect,
      [],
    )
    .option('-P, --publish-all', 'map every port the image exposes to a free host port, with --network veth')
    .option('--hostname <name>', "the container's hostname")
    .option('--read-only', "mount the container's root file system read-only")
    .option('--platform <os/arch[/variant]>', "which platform of a multi-platform image (default: this machine's)")
    .option('--image <name[:tag]>', 'which image of a multi-image archive')
    .option('--rm', 'remove the container, its changes and its anonymous volumes when it exits')
    .addOption(new Option('--keep').hideHelp())
    .option(
      '--restart <policy>',
      'restart a detached container when it exits: no, on-failure[:N], always or unless-stopped',
      restartPolicy,
      NO_RESTART,
    )
    .option('--log-opt <key=value>', "cap the container's log: max-size=10m, max-file=3 (repeatable)", collect, [])
    .option('--stop-timeout <seconds>', 'seconds between the stop signal and a kill', wholeSeconds, 10)
    .option('-q, --quiet', 'no progress display while the image is flattened into the cache')
    .option('-m, --memory <bytes>', 'memory limit, like 512m or 2g')
    .option('--memory-swap <bytes>', 'memory plus swap limit (default: twice --memory; -1 for unlimited swap)')
    .option('--cpus <number>', 'how many CPUs the container may use, like 1.5')
    .option('-c, --cpu-shares <number>', 'relative CPU weight (1024 is the default share)')
    .option('--cpuset-cpus <list>', 'CPUs the container may run on, like 0-2,4')
    .option('--pids-limit <number>', 'most tasks at once (0 or -1 for no limit)')
    .option(
      '--device <host[:container[:rwm]]>',
      'give the container a host device, with read, write and mknod access as asked (repeatable)',
      collect,
      [],
    )
    .option('--init', 'run an init as PID 1 that reaps zombies and passes signals on, the command as its child')
    .option(
      '--stop-signal <signal>',
      "the signal that stops the container, in place of the image's StopSignal",
      signalName,
    );
}

/** failedToStart gives any failure docker run's status 125: the container never ran. */
function failedToStart(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted || !(error instanceof Error)) return error;
  const code = error instanceof UndockerError ? error.code : 'UNDOCKER_IO';
  return new UndockerError(code, error.message, { cause: error, exitCode: FAILED_TO_START });
}

/** registerRun adds the run command. */
export function registerRun(program: Command, signal: AbortSignal): void {
  containerFlags(program.command('run'))
    .description(
      "run an image under systemd-nspawn (or LXC) with docker run's options; exits with the container's status",
    )
    .option('-d, --detach', "run in the background under a monitor and print the container's id")
    .action(async (imageText: string, command: string[], options: RunOptions) => {
      let status: number;
      try {
        status = await run('run', imageText, command, options, signal);
      } catch (error) {
        throw failedToStart(error, signal);
      }
      throw new ExitStatus(status);
    });
}

/** registerCreate adds the create command. */
export function registerCreate(program: Command, signal: AbortSignal): void {
  containerFlags(program.command('create'))
    .description("make a container of an image, as run would, without starting it; prints the container's id")
    .action(async (imageText: string, command: string[], options: RunOptions) => {
      try {
        await run('create', imageText, command, options, signal);
      } catch (error) {
        throw failedToStart(error, signal);
      }
    });
}
