/**
 * Who runs a container. Its owner (the monitor of a detached container, or the undocker attached
 * to one in the foreground) holds `owner.json`, made by link(2) so that of two starts at once
 * exactly one gets it; a container is running while its owner, its runtime or its PID 1 lives. A stop is
 * asked in `stop.json`, which the owner reads: the timeout, and that no restart policy may start
 * the container again until the next start.
 */
import { linkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { identify, isLiving, type ProcessIdentity } from '../host/process-identity.js';
import { removeFile } from '../output/remove.js';
import { readJson, writeJson } from './json-file.js';
import { type Container, type ContainerState, reloadState } from './records.js';

const OWNER = 'owner.json';
const STOP = 'stop.json';

const readIdentity = (file: string): ProcessIdentity | undefined => readJson<ProcessIdentity>(file);

/** isRunning tells whether the container's owner, its runtime or its PID 1 still lives (`state`: as just read). */
export function isRunning(container: Container, state: ContainerState = reloadState(container)): boolean {
  const { runtime, leader } = state;
  return isLiving(readIdentity(join(container.dirs.dir, OWNER))) || isLiving(runtime) || isLiving(leader);
}

/**
 * currentState is the container's state as `ps` shows it: a container recorded as running whose
 * owner, runtime and PID 1 are all gone (the monitor killed with SIGKILL, the host rebooted) has
 * exited, with an exit code nobody saw.
 */
export function currentState(container: Container): ContainerState {
  const state = reloadState(container);
  if ((state.status === 'running' || state.status === 'restarting') && !isRunning(container, state)) {
    const { exitCode: _unknown, ...rest } = state;
    return { ...rest, status: 'exited' };
  }
  return state;
}

/** claimContainer makes this process the container's owner; false when it is running already. */
export function claimContainer(container: Container): boolean {
  const owner = join(container.dirs.dir, OWNER);
  const mine = `${owner}.${process.pid}`;
  writeFileSync(mine, JSON.stringify(identify(process.pid)));
  try {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        linkSync(mine, owner);
        return true;
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error;
      }
      if (isRunning(container)) return false;
      // The owner before was killed: its claim is stale.
      removeFile(owner);
    }
    return false;
  } finally {
    removeFile(mine);
  }
}

/** releaseContainer gives up this process's ownership. */
export function releaseContainer(container: Container): void {
  const owner = join(container.dirs.dir, OWNER);
  if (readIdentity(owner)?.pid === process.pid) removeFile(owner);
}

/** ownerOf is the container's living owner, if any. */
export function ownerOf(container: Container): ProcessIdentity | undefined {
  const owner = readIdentity(join(container.dirs.dir, OWNER));
  return isLiving(owner) ? owner : undefined;
}

/** StopRequest is a stop asked of a container's owner. */
interface StopRequest {
  timeout: number;
  /** byHand is a user's stop, which unless-stopped honours at boot; a host shutting down is not one */
  byHand: boolean;
  /** signal is what `kill` sent the container's PID 1 */
  signal?: string;
}

/** requestStop asks the owner to stop the container within `timeout` seconds, and to hold its restart policy. */
export function requestStop(container: Container, timeout: number, byHand = true, signal?: string): void {
  writeJson(join(container.dirs.dir, STOP), { timeout, byHand, ...(signal ? { signal } : {}) } satisfies StopRequest);
}

/** killSignal is the signal `kill` sent the container since its last start, if any. */
export function killSignal(container: Container): string | undefined {
  return readJson<StopRequest>(join(container.dirs.dir, STOP))?.signal;
}

/** stoppedByHand tells whether a user stopped the container since it last started. */
export function stoppedByHand(container: Container): boolean {
  return readJson<StopRequest>(join(container.dirs.dir, STOP))?.byHand ?? false;
}

/** stopRequest is the pending stop's timeout, or undefined when no stop was asked since the last start. */
export function stopRequest(container: Container): number | undefined {
  return readJson<StopRequest>(join(container.dirs.dir, STOP))?.timeout;
}

/** clearStopRequest forgets a stop, as a start does. */
export function clearStopRequest(container: Container): void {
  removeFile(join(container.dirs.dir, STOP));
}
