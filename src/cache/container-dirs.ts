/**
 * A run's own folders, `containers/<name>/`: the overlay's upper and work directories, the
 * mount point, and run.json naming the image and the process that uses it. The cached rootfs
 * is the overlay's lower layer and is never written; a run without --keep removes its folder
 * when it ends, one with --keep leaves it for the next run of that name.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UndockerError } from '../errors.js';
import { isAlive } from '../host/process-alive.js';

/** ContainerDirs are the folders of one container. */
export interface ContainerDirs {
  name: string;
  dir: string;
  upper: string;
  work: string;
  merged: string;
}

interface RunRecord {
  image: string;
  /** pid is undocker's; runtimePid the runtime's, which outlives an undocker killed with SIGKILL */
  pid: number;
  runtimePid?: number;
  keep: boolean;
}

/** isRunning tells whether a container's undocker or its runtime is still alive. */
function isRunning(run: RunRecord): boolean {
  return isAlive(run.pid) || isAlive(run.runtimePid ?? 0);
}

function writeRun(dir: string, run: RunRecord): void {
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(run)}\n`);
}

function readRun(dir: string): RunRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

/** readRuns returns every container's record. */
function readRuns(root: string): Array<{ name: string; run: RunRecord }> {
  let names: string[];
  try {
    names = readdirSync(join(root, 'containers'));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const run = readRun(join(root, 'containers', name));
    return run === undefined ? [] : [{ name, run }];
  });
}

/** liveUsers names the containers that need image `id`: running ones and kept ones. */
export function liveUsers(root: string, id: string): string[] {
  return readRuns(root)
    .filter(({ run }) => run.image === id && (run.keep || isRunning(run)))
    .map(({ name }) => name);
}

/**
 * openContainer makes (or, with keep, reopens) the folders of container `name` for image `id`.
 * A container of that name that is running, or kept from another image, is refused.
 */
export function openContainer(root: string, name: string, id: string, keep: boolean): ContainerDirs {
  const dir = join(root, 'containers', name);
  const dirs: ContainerDirs = {
    name,
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    merged: join(dir, 'merged'),
  };
  const old = readRun(dir);
  if (old !== undefined && isRunning(old)) {
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `a container named ${name} is running (pid ${old.runtimePid ?? old.pid}): choose another --name`,
    );
  }
  if (old?.keep && old.image !== id) {
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `container ${name} is kept from another image (${old.image.slice(0, 19)}): choose another --name`,
    );
  }
  if (old?.keep && !keep) {
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `container ${name} holds changes kept with --keep: add --keep to run it again, or remove it with undocker rm ` +
        `${name}`,
    );
  }
  if (!(keep && old?.keep)) rmSync(dir, { recursive: true, force: true });
  for (const path of [dirs.upper, dirs.work, dirs.merged]) mkdirSync(path, { recursive: true, mode: 0o700 });
  // The overlay's work directory must be empty at every mount.
  rmSync(dirs.work, { recursive: true, force: true });
  mkdirSync(dirs.work, { mode: 0o700 });
  writeRun(dir, { image: id, pid: process.pid, keep });
  return dirs;
}

/** recordRuntime notes the runtime's pid, so the container counts as running for as long as it lives. */
export function recordRuntime(dirs: ContainerDirs, id: string, keep: boolean, runtimePid: number): void {
  writeRun(dirs.dir, { image: id, pid: process.pid, runtimePid, keep });
}

/** closeContainer removes a container's folders, or with keep marks it no longer running. */
export function closeContainer(dirs: ContainerDirs, id: string, keep: boolean): void {
  if (!keep) {
    rmSync(dirs.dir, { recursive: true, force: true });
    return;
  }
  rmSync(dirs.work, { recursive: true, force: true });
  writeRun(dirs.dir, { image: id, pid: 0, keep });
}

/** removeContainer deletes a container's folders and kept changes, unless it is running; false when there is none. */
export function removeContainer(root: string, name: string): boolean {
  const dir = join(root, 'containers', name);
  const old = readRun(dir);
  if (old === undefined) return false;
  if (isRunning(old))
    throw new UndockerError(
      'UNDOCKER_OUTPUT_EXISTS',
      `container ${name} is running (pid ${old.runtimePid ?? old.pid}): stop it first`,
    );
  rmSync(dir, { recursive: true, force: true });
  return true;
}

/** keptContainers lists the containers kept with --keep, with their images. */
export function keptContainers(root: string): Array<{ name: string; image: string }> {
  return readRuns(root)
    .filter(({ run }) => run.keep)
    .map(({ name, run }) => ({ name, image: run.image }));
}

/**
 * removeDeadContainers deletes what runs whose undocker was killed left behind, kept containers aside; it returns their
 * names.
 */
export function removeDeadContainers(root: string): string[] {
  const dead = readRuns(root)
    .filter(({ run }) => !run.keep && !isRunning(run))
    .map(({ name }) => name);
  for (const name of dead) rmSync(join(root, 'containers', name), { recursive: true, force: true });
  return dead;
}
