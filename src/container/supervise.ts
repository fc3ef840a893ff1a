/**
 * What a container's owner does from start to exit: prepare and run the container, record each
 * change of state, send a detached container's output to its log, and carry out its restart
 * policy with docker's backoff. A stop (the abort signal) ends the run and holds the policy.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cachedImageOf } from '../cache/image-cache.js';
import { type ImageView, openImageView } from '../cache/image-view.js';
import { UndockerError } from '../errors.js';
import { identify } from '../host/process-identity.js';
import { planHost, prepareRun, runPrepared } from '../launch/prepare-run.js';
import { KILLED, RUNTIME_SAW_A_SIGNAL } from '../launch/run-container.js';
import { leaderOf } from './leader.js';
import { LogWriter } from './log-file.js';
import { clearStopRequest, killSignal, stopRequest } from './ownership.js';
import type { Container, ContainerState } from './records.js';
import { writeState } from './records.js';
import { nextDelay, shouldRestart } from './restart-policy.js';

/** SuperviseOptions say how the owner runs the container. */
export interface SuperviseOptions {
  cacheRoot: string;
  /** signal aborts the run: a stop */
  signal: AbortSignal;
  /** detached: the output goes to the log and the restart policy applies; else the terminal has both */
  detached: boolean;
  /** started is told once the first start is under way (the runtime set up), or why it failed */
  started?: (error?: Error) => void;
  /** view is the image's view the container was just created from: the first start takes it and closes it */
  view?: ImageView | undefined;
}

/** START_FAILED is the exit code docker records for a container whose start failed. */
const START_FAILED = 128;

/** viewOf opens the container's image, which rmi and prune keep while the container exists. */
async function viewOf(root: string, container: Container): Promise<ImageView> {
  const record = cachedImageOf(root, container.config.image);
  if (record === undefined)
    throw new UndockerError(
      'UNDOCKER_NOT_FOUND',
      `container ${container.config.name}: its image ${container.config.imageName} is no longer in the cache`,
    );
  return openImageView(root, record, `image ${container.config.imageName}`);
}

/** LEADER_WAIT_MS bounds the wait for the runtime to start the container's PID 1; LEADER_POLL_MS paces it. */
const LEADER_WAIT_MS = 5000;
const LEADER_POLL_MS = 20;
/**
 * recordLeader notes the container's PID 1 once its runtime has started it, so that a runtime
 * killed with SIGKILL (its PID 1 lives on, reparented) does not hide a running container.
 */
async function recordLeader(container: Container, running: ContainerState, ended: () => boolean): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  while (!ended() && Date.now() < deadline) {
    const pid = leaderOf(container);
    const leader = pid === undefined ? undefined : identify(pid);
    if (leader !== undefined) {
      if (!ended()) writeState(container, Object.assign(running, { leader }));
      return;
    }
    await sleep(LEADER_POLL_MS);
  }
}

/** runOnce runs one start of the container and returns its exit status; the first takes options.view. */
async function runOnce(container: Container, options: SuperviseOptions, restartCount: number): Promise<number> {
  const { config } = container;
  const me = identify(process.pid);
  const plan = planHost(config.request, 'start');
  const log = options.detached ? new LogWriter(container.dirs.dir, config.log) : undefined;
  const view = (restartCount === 0 ? options.view : undefined) ?? (await viewOf(options.cacheRoot, container));
  let prepared;
  try {
    prepared = await prepareRun(config.spec, view, container.dirs, config.request, plan, options.cacheRoot);
  } finally {
    await view.close();
  }
  const running: ContainerState = {
    status: 'running',
    ...(me ? { owner: me } : {}),
    startedAt: new Date().toISOString(),
    restartCount,
  };
  let ended = false;
  try {
    writeState(container, running);
    const status = await runPrepared(prepared, options.signal, {
      started: (pid) => {
        const runtime = identify(pid);
        if (runtime !== undefined) running.runtime = runtime;
        writeState(container, running);
      },
      setUp: () => {
        options.started?.();
        void recordLeader(container, running, () => ended);
      },
      ...(log !== undefined
        ? {
            output: (stdout, stderr) => {
              stdout.on('data', (chunk: Buffer) => log.write('stdout', chunk));
              stderr.on('data', (chunk: Buffer) => log.write('stderr', chunk));
            },
          }
        : {}),
      stopTimeout: () => stopRequest(container) ?? config.request.stopTimeout,
    });
    ended = true;
    // SIGKILL cannot be caught: a container `kill` sent it died of it, 137 under docker; the runtimes say 1.
    const exitCode = status === RUNTIME_SAW_A_SIGNAL && killSignal(container) === 'SIGKILL' ? KILLED : status;
    const { runtime: _runtime, leader: _leader, ...rest } = running;
    writeState(container, { ...rest, status: 'exited', exitCode, finishedAt: new Date().toISOString() });
    return exitCode;
  } finally {
    ended = true;
    log?.flush();
    prepared.release();
  }
}

/**
 * superviseContainer runs a container its caller owns until it exits for good, and returns its
 * last exit status. A failed start is recorded (docker's exit code 128 and the error) and thrown.
 */
export async function superviseContainer(container: Container, options: SuperviseOptions): Promise<number> {
  clearStopRequest(container);
  let restarts = 0;
  let delay: number | undefined;
  for (;;) {
    const began = Date.now();
    let status: number;
    try {
      status = await runOnce(container, options, restarts);
    } catch (error) {
      writeState(container, {
        status: 'exited',
        exitCode: START_FAILED,
        restartCount: restarts,
        finishedAt: new Date().toISOString(),
        error: (error as Error).message,
      });
      options.started?.(error as Error);
      throw error;
    }
    options.started?.();
    const held = options.signal.aborted || stopRequest(container) !== undefined;
    if (!options.detached || !shouldRestart(container.config.restart, status, restarts, held)) return status;
    delay = nextDelay(delay, Date.now() - began);
    writeState(container, { ...container.state, status: 'restarting' });
    try {
      await sleep(delay, undefined, { signal: options.signal });
    } catch {
      writeState(container, { ...container.state, status: 'exited' });
      return status;
    }
    restarts += 1;
  }
}
