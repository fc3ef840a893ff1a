/**
 * Where containers live in the cache, `containers/<id>/`: config.json (written at create),
 * state.json, the overlay's upper, work and merged folders, and the log. This folder knows only
 * which image each container uses, so rmi and prune never take an image from under one; the
 * rest is src/container/'s. A container is made in `containers/.new-<id>/` and renamed into place
 * complete, so an interrupted create leaves only a folder that prune removes.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { identify, isLiving, type ProcessIdentity } from '../host/process-identity.js';

/** ContainerDirs are the folders of one container. */
export interface ContainerDirs {
  /** name is the container's name, for messages */
  name: string;
  dir: string;
  upper: string;
  work: string;
  merged: string;
}

/** NEW_PREFIX starts the folder of a container being made. */
export const NEW_PREFIX = '.new-';

/** NEW_RECORD is the file in a folder being made that names its image and the process making it. */
export const NEW_RECORD = 'new.json';

/** ImageUse is what this folder reads of a container's config.json, or of a NEW_RECORD. */
interface ImageUse {
  name: string;
  image: string;
  maker?: ProcessIdentity;
}

/** containersDir is the folder holding every container. */
export function containersDir(root: string): string {
  return join(root, 'containers');
}

/** containerDirs are the folders of container `id` (a folder name under containersDir). */
export function containerDirs(root: string, id: string, name: string): ContainerDirs {
  const dir = join(containersDir(root), id);
  return { name, dir, upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged') };
}

/** newRecord is what a folder being made holds until it is complete. */
export function newRecord(name: string, image: string): string {
  return `${JSON.stringify({ name, image, maker: identify(process.pid) } satisfies ImageUse)}\n`;
}

function readUse(file: string): ImageUse | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ImageUse;
  } catch {
    return undefined;
  }
}

function folders(root: string): string[] {
  try {
    return readdirSync(containersDir(root));
  } catch {
    return [];
  }
}

/** imageUsers names the containers that use image `id`: every container, running or not, and those being made. */
export function imageUsers(root: string, id: string): string[] {
  return folders(root).flatMap((folder) => {
    const dir = join(containersDir(root), folder);
    const made = folder.startsWith(NEW_PREFIX);
    const use = readUse(join(dir, made ? NEW_RECORD : 'config.json'));
    if (use?.image !== id || (made && !isLiving(use.maker))) return [];
    return [use.name];
  });
}

/** BeingMade is a folder of a container being made, what it records, and whether its maker still lives. */
interface BeingMade {
  dir: string;
  name: string;
  living: boolean;
}

/** beingMade lists the folders of containers being made, living makers or not. */
function beingMade(root: string): BeingMade[] {
  return folders(root).flatMap((folder) => {
    if (!folder.startsWith(NEW_PREFIX)) return [];
    const dir = join(containersDir(root), folder);
    const use = readUse(join(dir, NEW_RECORD));
    return [{ dir, name: use?.name ?? folder, living: isLiving(use?.maker) }];
  });
}

/** containersBeingMade names the containers a living process is making now. */
export function containersBeingMade(root: string): string[] {
  return beingMade(root).flatMap((made) => (made.living ? [made.name] : []));
}

/** removeUnfinished deletes the folders of creates that were interrupted; it returns their names. */
export function removeUnfinished(root: string): string[] {
  return beingMade(root).flatMap((made) => {
    if (made.living) return [];
    rmSync(made.dir, { recursive: true, force: true });
    return [made.name];
  });
}
