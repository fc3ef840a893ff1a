/**
 * Containers on disk, as docker keeps them: each has an id (64 hex digits) and a unique name, a
 * config written once when it is created, and a state its owner (the monitor, or the undocker
 * attached to it) rewrites at every change. Names are symlinks `names/<name>` -> id: making one
 * is atomic, so two creates of one name never both succeed. Files are replaced by rename, so a
 * reader never sees half of one.
 */
import { mkdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  containerDirs,
  containersDir,
  type ContainerDirs,
  NEW_PREFIX,
  NEW_RECORD,
  newRecord,
} from '../cache/container-dirs.js';
import type { RunSpec } from '../config/run-spec.js';
import { isErrno, UndockerError } from '../errors.js';
import { removeFile, removeTree } from '../output/remove.js';
import { randomHex } from '../host/random-hex.js';
import { checkDockerName } from './docker-names.js';
import { readJson, recordNames, writeJson } from './json-file.js';
import type { ProcessIdentity } from '../host/process-identity.js';
import type { RunRequest } from '../launch/run-request.js';
import type { LogOptions } from './log-options.js';
import type { RestartPolicy } from './restart-policy.js';
import type { VolumeMount } from './volume-mounts.js';

/** ContainerConfig is what a container was created with; it never changes. */
export interface ContainerConfig {
  id: string;
  name: string;
  /** image is the image's id (its config digest), whose cached rootfs is the lower layer */
  image: string;
  /** imageName is the image as the user named it */
  imageName: string;
  created: string;
  spec: RunSpec;
  request: RunRequest;
  restart: RestartPolicy;
  /** autoRemove is --rm: the container and its anonymous volumes go when it exits */
  autoRemove: boolean;
  log: LogOptions;
  volumes: VolumeMount[];
}

/** Status is docker's State.Status, as these containers can be. */
export type Status = 'created' | 'running' | 'restarting' | 'exited';

/** ContainerState is what the container's owner records of it. */
export interface ContainerState {
  status: Status;
  /** owner is the process that runs the container: its monitor, or the undocker attached to it */
  owner?: ProcessIdentity;
  /** runtime is systemd-nspawn or lxc-execute, which outlives an owner killed with SIGKILL */
  runtime?: ProcessIdentity;
  /** leader is the container's PID 1 (as the host sees it), which outlives a runtime killed with SIGKILL */
  leader?: ProcessIdentity;
  /** exitCode is the last exit status; absent when it is not known */
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  /** error is why the last start failed */
  error?: string;
  oomKilled?: boolean;
}

/** Container is one container's config and state, and its folders. */
export interface Container {
  config: ContainerConfig;
  state: ContainerState;
  dirs: ContainerDirs;
}

/** PendingContainer is a container being made, in its temporary folder. */
export interface PendingContainer {
  id: string;
  name: string;
  dir: string;
}

const namesDir = (root: string): string => join(root, 'names');

/** checkContainerName refuses a name docker would refuse. */
export function checkContainerName(name: string): string {
  return checkDockerName(name, 'container', '--name');
}

function idOfName(root: string, name: string): string | undefined {
  try {
    return readlinkSync(join(namesDir(root), name));
  } catch {
    return undefined;
  }
}

function nameTaken(name: string, id: string): UndockerError {
  return new UndockerError(
    'UNDOCKER_OUTPUT_EXISTS',
    `the container name ${name} is already in use by container ${id.slice(0, 12)}: remove it (undocker rm ${name}) ` +
      'or choose another --name',
  );
}

/** holderOf is the container holding `name`; a name left by a container whose folder is gone is free. */
function holderOf(root: string, name: string): string | undefined {
  const id = idOfName(root, name);
  return id !== undefined && readJson(join(containersDir(root), id, 'config.json')) !== undefined ? id : undefined;
}

/** checkNameFree fails early, before an image is flattened, when `name` is taken. */
export function checkNameFree(root: string, name: string): void {
  const holder = holderOf(root, name);
  if (holder !== undefined) throw nameTaken(name, holder);
}

/** beginContainer opens the temporary folder of a new container named `name` for image `image`. */
export function beginContainer(root: string, name: string, image: string): PendingContainer {
  checkNameFree(root, name);
  const id = randomHex(32);
  const dir = join(containersDir(root), `${NEW_PREFIX}${id}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, NEW_RECORD), newRecord(name, image));
  return { id, name, dir };
}

/**
 * commitContainer writes the config and the first state and moves the folder into place. The name
 * is taken first: if another container took it meanwhile, nothing of this one remains.
 */
export function commitContainer(root: string, pending: PendingContainer, config: ContainerConfig): Container {
  writeJson(join(pending.dir, 'config.json'), config);
  const state: ContainerState = { status: 'created', restartCount: 0 };
  writeJson(join(pending.dir, 'state.json'), state);
  unlinkSync(join(pending.dir, NEW_RECORD));
  mkdirSync(namesDir(root), { recursive: true, mode: 0o700 });
  const link = join(namesDir(root), config.name);
  for (;;) {
    try {
      symlinkSync(config.id, link);
      break;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
      const holder = holderOf(root, config.name);
      if (holder !== undefined) {
        removeTree(pending.dir);
        throw nameTaken(config.name, holder);
      }
      removeFile(link);
    }
  }
  const dirs = containerDirs(root, config.id, config.name);
  renameSync(pending.dir, dirs.dir);
  return { config, state, dirs };
}

/** abandonContainer removes what a create that failed made. */
export function abandonContainer(pending: PendingContainer): void {
  removeTree(pending.dir);
}

/** loadContainer reads container `id`, or undefined when it has no complete record. */
export function loadContainer(root: string, id: string): Container | undefined {
  const dir = join(containersDir(root), id);
  const config = readJson<ContainerConfig>(join(dir, 'config.json'));
  const state = readJson<ContainerState>(join(dir, 'state.json'));
  if (config === undefined || state === undefined) return undefined;
  return { config, state, dirs: containerDirs(root, config.id, config.name) };
}

/** listContainers reads every container, newest first. */
export function listContainers(root: string): Container[] {
  return recordNames(containersDir(root))
    .flatMap((id) => loadContainer(root, id) ?? [])
    .sort((a, b) => b.config.created.localeCompare(a.config.created));
}

/** findContainer finds a container by name, id or unique id prefix, as docker does. */
export function findContainer(root: string, reference: string): Container {
  const byName = idOfName(root, reference);
  const named = byName !== undefined ? loadContainer(root, byName) : undefined;
  if (named !== undefined) return named;
  if (/^[0-9a-f]+$/.test(reference)) {
    const matches = listContainers(root).filter((c) => c.config.id.startsWith(reference));
    if (matches.length === 1) return matches[0] as Container;
    if (matches.length > 1)
      throw new UndockerError(
        'UNDOCKER_AMBIGUOUS',
        `${reference} names ${matches.length} containers: give more of the id`,
      );
  }
  throw new UndockerError('UNDOCKER_NOT_FOUND', `no such container: ${reference}`);
}

/** writeState records the container's state. */
export function writeState(container: Container, state: ContainerState): void {
  container.state = state;
  writeJson(join(container.dirs.dir, 'state.json'), state);
}

/** reloadState reads the container's state as its owner last wrote it. */
export function reloadState(container: Container): ContainerState {
  const state = readJson<ContainerState>(join(container.dirs.dir, 'state.json'));
  if (state !== undefined) container.state = state;
  return container.state;
}

/** deleteContainer removes the container's name and folder. */
export function deleteContainer(root: string, container: Container): void {
  if (idOfName(root, container.config.name) === container.config.id)
    removeFile(join(namesDir(root), container.config.name));
  removeTree(container.dirs.dir);
}
