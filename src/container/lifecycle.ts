/**
 * docker's lifecycle verbs on undocker's containers: start (detached under a monitor, or attached
 * to this terminal), stop, kill, wait and rm. Errors say which container and why, with docker's
 * exit statuses; a verb that does not apply to a container's state fails with one line.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ImageView } from '../cache/image-view.js';
import { UndockerError } from '../errors.js';
import { leaderOf } from './leader.js';
import { claimContainer, currentState, isRunning, ownerOf, releaseContainer, requestStop } from './ownership.js';
import { type Container, reloadState } from './records.js';
import { removeContainer } from './remove.js';
import { superviseContainer } from './supervise.js';

/**
 * monitorScript is the monitor's script, beside this file (spelled from the folder above, so the
 * CLI bundle finds it): its bundle, which starts sooner and holds 6 MB less in every container's
 * monitor, unless tsc has run since it was made.
 */
function monitorScript(): string {
  const modules = fileURLToPath(new URL('../container/monitor.js', import.meta.url));
  const bundle = fileURLToPath(new URL('../container/monitor.bundle.cjs', import.meta.url));
  try {
    return statSync(bundle).mtimeMs >= statSync(modules).mtimeMs ? bundle : modules;
  } catch {
    return modules;
  }
}

/**
 * monitorEnvironment is this process's environment without NODE_EXTRA_CA_CERTS: a monitor never
 * speaks TLS, and node parses those certificates as it starts (60 ms with the system bundle).
 */
function monitorEnvironment(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  delete environment.NODE_EXTRA_CA_CERTS;
  return environment;
}

/** POLL_MS is how often `wait` looks at a container again; STOP_POLL_MS, a stop, which is short and waited for. */
const POLL_MS = 50;
const STOP_POLL_MS = 10;

/** notRunning is docker's refusal of a verb that needs a running container. */
export function notRunning(container: Container, verb: string): UndockerError {
  return new UndockerError('UNDOCKER_USAGE', `cannot ${verb} container ${container.config.name}: it is not running`);
}

/**
 * startDetached starts the container under a monitor of its own and returns once the container
 * is starting (or was running already); a start that failed before the runtime ran is thrown.
 */
export async function startDetached(root: string, container: Container): Promise<'started' | 'running'> {
  if (isRunning(container)) return 'running';
  const log = openSync(join(container.dirs.dir, 'monitor.log'), 'a');
  let report = '';
  try {
    const child = spawn(process.execPath, [monitorScript(), root, container.config.id], {
      detached: true,
      env: monitorEnvironment(),
      stdio: ['ignore', 'ignore', log, 'pipe'],
    });
    child.unref();
    const channel = child.stdio[3];
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      channel?.on('data', (chunk: Buffer) => (report += chunk.toString()));
      channel?.once('close', () => resolve());
    });
  } finally {
    closeSync(log);
  }
  const line = report.trim();
  if (line === 'started' || line === 'running') return line;
  const detail = line.startsWith('failed ')
    ? line.slice('failed '.length)
    : `its monitor ended (${join(container.dirs.dir, 'monitor.log')})`;
  throw new UndockerError('UNDOCKER_IO', `cannot start container ${container.config.name}: ${detail}`);
}

/**
 * runAttached runs the container with this process as its owner and the terminal as its input
 * and output, as `docker run` and `docker start -a` do, and returns its exit status. A restart
 * policy is not carried out here: that is the monitor's (or a systemd unit's) job. `view`, the
 * image's view the container was just created from, serves its start, and is closed.
 */
export async function runAttached(
  root: string,
  container: Container,
  signal: AbortSignal,
  view?: ImageView,
): Promise<number> {
  try {
    if (!claimContainer(container))
      throw new UndockerError('UNDOCKER_USAGE', `container ${container.config.name} is already running`);
    try {
      return await superviseContainer(container, { cacheRoot: root, signal, detached: false, view });
    } finally {
      releaseContainer(container);
      // --rm removes it however it ended, a start that failed included, as docker does.
      if (container.config.autoRemove) removeContainer(root, container, { volumes: true });
    }
  } finally {
    await view?.close();
  }
}

/** waitStopped waits until the container is no longer running, for at most `ms`; true when it stopped. */
async function waitStopped(container: Container, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isRunning(container)) {
    if (Date.now() > deadline) return false;
    await sleep(STOP_POLL_MS);
  }
  return true;
}

function signalPid(pid: number | undefined, signal: NodeJS.Signals | number): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* gone meanwhile */
  }
}

/**
 * stopContainer stops a running container as docker stop does: its stop signal, then SIGKILL
 * after `timeout` seconds; its restart policy is held until it is started again. The owner does
 * the stopping; an owner that was killed left the runtime, which gets the signals here.
 */
export async function stopContainer(
  container: Container,
  timeout = container.config.request.stopTimeout,
  byHand = true,
): Promise<void> {
  requestStop(container, timeout, byHand);
  if (!isRunning(container)) return;
  const owner = ownerOf(container);
  if (owner !== undefined) signalPid(owner.pid, 'SIGTERM');
  else signalPid(leaderOf(container), container.config.spec.stopSignal as NodeJS.Signals);
  // The owner kills at the timeout itself; a second's grace covers its bookkeeping.
  if (await waitStopped(container, timeout * 1000 + 1000)) return;
  signalPid(leaderOf(container), 'SIGKILL');
  if (owner === undefined) signalPid(reloadState(container).runtime?.pid, 'SIGKILL');
  if (!(await waitStopped(container, 10_000)))
    throw new UndockerError('UNDOCKER_IO', `container ${container.config.name} did not stop, even after SIGKILL`);
}

/** killContainer sends `signal` to the container's PID 1, as docker kill does, and holds its restart policy. */
export function killContainer(container: Container, signal: string): void {
  const leader = leaderOf(container);
  if (leader === undefined) throw notRunning(container, 'kill');
  requestStop(container, container.config.request.stopTimeout, true, signal);
  try {
    process.kill(leader, signal);
  } catch (error) {
    throw new UndockerError(
      'UNDOCKER_USAGE',
      `cannot kill container ${container.config.name}: ${(error as Error).message}`,
    );
  }
}

/** waitContainer waits until the container stops for good (not restarting); its exit code, or -1 if unknown. */
export async function waitContainer(container: Container, signal?: AbortSignal): Promise<number> {
  for (;;) {
    const state = currentState(container);
    // An owner still living may restart it, or be removing it (--rm).
    if ((state.status === 'exited' || state.status === 'created') && ownerOf(container) === undefined)
      return state.exitCode ?? -1;
    await sleep(POLL_MS, undefined, signal ? { signal } : {});
  }
}

/** forceRemove stops a running container at once (SIGKILL), as docker rm -f does, before it is removed. */
export async function forceRemove(root: string, container: Container, volumes: boolean): Promise<void> {
  if (isRunning(container)) await stopContainer(container, 0);
  removeContainer(root, container, { volumes });
}

/** removeStopped removes a container that is not running, as docker rm does without -f. */
export function removeStopped(root: string, container: Container, volumes: boolean): void {
  if (isRunning(container))
    throw new UndockerError(
      'UNDOCKER_USAGE',
      `cannot remove container ${container.config.name}: it is running: stop it first, or use rm -f`,
    );
  removeContainer(root, container, { volumes });
}
