/**
 * `undocker ps` and `undocker inspect`: containers listed with docker ps's columns (and a RUNTIME
 * column), and one container's config and state as docker inspect's JSON.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { cacheRoot } from '../cache/cache-root.js';
import { leaderOf } from '../container/leader.js';
import { LOG_FILE } from '../container/log-file.js';
import { currentState } from '../container/ownership.js';
import { type Container, findContainer, listContainers } from '../container/records.js';
import { commandText, humanDuration, portsText, statusText } from './container-status.js';
import { formatTable, printJson, printLine } from './output.js';

/** NEVER is how docker writes a time that has not happened. */
const NEVER = '0001-01-01T00:00:00Z';

interface PsOptions {
  all?: boolean;
  quiet?: boolean;
  json?: boolean;
  /** trunc is false with --no-trunc */
  trunc: boolean;
}

function psRow(container: Container, now: number, full: boolean) {
  const { config } = container;
  const state = currentState(container);
  return {
    ID: full ? config.id : config.id.slice(0, 12),
    Image: config.imageName,
    Command: commandText(config, full),
    CreatedAt: config.created,
    RunningFor: `${humanDuration(now - Date.parse(config.created))} ago`,
    Status: statusText(state, now),
    State: state.status,
    Ports: portsText(config),
    Names: config.name,
    Runtime: config.request.runtime,
  };
}

/** registerPs adds the ps command. */
export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('list running containers (-a: all of them)')
    .option('-a, --all', 'show every container, not only running ones')
    .option('-q, --quiet', 'print the container ids alone')
    .option('--no-trunc', 'print whole ids and commands')
    .option('--json', 'print one JSON object per container and line, as docker ps --format json')
    .action((options: PsOptions) => {
      const now = Date.now();
      const full = !options.trunc;
      const rows = listContainers(cacheRoot())
        .map((container) => psRow(container, now, full))
        .filter((row) => options.all || row.State === 'running' || row.State === 'restarting');
      if (options.quiet) for (const row of rows) printLine(row.ID);
      else if (options.json) for (const row of rows) printLine(JSON.stringify(row));
      else {
        const header = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES', 'RUNTIME'];
        const cells = rows.map((r) => [r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names, r.Runtime]);
        for (const line of formatTable([header, ...cells])) printLine(line);
      }
    });
}

/** inspectOf is docker inspect's view of a container. */
function inspectOf(container: Container) {
  const { config, dirs } = container;
  const state = currentState(container);
  const running = state.status === 'running' || state.status === 'restarting';
  const [path = '', ...args] = config.spec.argv;
  return {
    Id: config.id,
    Created: config.created,
    Path: path,
    Args: args,
    State: {
      Status: state.status,
      Running: running,
      Paused: false,
      Restarting: state.status === 'restarting',
      OOMKilled: state.oomKilled ?? false,
      Dead: false,
      Pid: (running && leaderOf(container)) || 0,
      ExitCode: state.exitCode ?? -1,
      Error: state.error ?? '',
      StartedAt: state.startedAt ?? NEVER,
      FinishedAt: state.finishedAt ?? NEVER,
    },
    Image: config.image,
    ImageName: config.imageName,
    Name: `/${config.name}`,
    RestartCount: state.restartCount,
    Runtime: config.request.runtime,
    LogPath: join(dirs.dir, LOG_FILE),
    HostConfig: {
      RestartPolicy: { Name: config.restart.name, MaximumRetryCount: config.restart.maximumRetryCount },
      AutoRemove: config.autoRemove,
      LogConfig: {
        Type: 'json-file',
        Config:
          config.log.maxSize > 0
            ? { 'max-size': String(config.log.maxSize), 'max-file': String(config.log.maxFile) }
            : {},
      },
      PortBindings: Object.fromEntries(
        config.request.publish.map((p) => [`${p.container}/${p.protocol}`, [{ HostIp: '', HostPort: String(p.host) }]]),
      ),
      NetworkMode: config.request.network,
      ReadonlyRootfs: config.request.readOnly,
      // Docker's is empty unless --userns was given; undocker's default is the host's.
      UsernsMode: config.request.userns === 'auto' ? 'auto' : '',
    },
    Mounts: [
      ...config.volumes.map((v) => ({
        Type: 'volume',
        Name: v.name,
        Source: config.request.volumes.find((b) => b.container === v.container)?.host ?? '',
        Destination: v.container,
        RW: !v.readOnly,
      })),
      ...config.request.volumes
        .filter((b) => !config.volumes.some((v) => v.container === b.container))
        .map((b) => ({ Type: 'bind', Source: b.host, Destination: b.container, RW: !b.readOnly })),
    ],
    Config: {
      Hostname: config.spec.hostname,
      User: config.spec.user.spec,
      Env: config.spec.env.map(([name, value]) => `${name}=${value}`),
      Cmd: config.spec.argv,
      Image: config.imageName,
      WorkingDir: config.spec.workingDir,
      StopSignal: config.spec.stopSignal,
      StopTimeout: config.request.stopTimeout,
      ExposedPorts: Object.fromEntries(config.spec.ports.map((p) => [`${p.port}/${p.protocol}`, {}])),
      Volumes: Object.fromEntries(config.spec.volumes.map((v) => [v, {}])),
    },
  };
}

/** registerInspect adds the inspect command. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description("print containers' config and state as JSON, as docker inspect does")
    .argument('<container...>', 'container names or ids')
    .action((references: string[]) => {
      const root = cacheRoot();
      printJson(references.map((reference) => inspectOf(findContainer(root, reference))));
    });
}
