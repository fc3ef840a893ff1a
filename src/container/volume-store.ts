/**
 * Volumes, as docker keeps them: `volumes/<name>/_data` is what containers mount, and
 * `volume.json` records when it was made and whether it is anonymous (made for an image's VOLUME
 * that no -v covered, named by 64 hex digits). A volume outlives its containers; `rm -v` and
 * `--rm` remove a container's anonymous ones; one in use by any container is never removed.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UndockerError } from '../errors.js';
import { checkDockerName } from './docker-names.js';
import { readJson, recordNames } from './json-file.js';

/** Volume is one volume's record. */
export interface Volume {
  name: string;
  created: string;
  anonymous: boolean;
  /** mountpoint is the host folder containers mount */
  mountpoint: string;
}

const volumesDir = (root: string): string => join(root, 'volumes');

/** checkVolumeName refuses a name docker would refuse. */
export function checkVolumeName(name: string, where: string): string {
  return checkDockerName(name, 'volume', where);
}

function readVolume(root: string, name: string): Volume | undefined {
  const record = readJson<Omit<Volume, 'mountpoint'>>(join(volumesDir(root), name, 'volume.json'));
  return record === undefined ? undefined : { ...record, mountpoint: join(volumesDir(root), name, '_data') };
}

/**
 * openVolume returns volume `name` (a new anonymous one when name is undefined), making it when
 * it is missing; `fresh` says it was just made and is still empty, to be filled from the image.
 */
export function openVolume(root: string, name: string | undefined): { volume: Volume; fresh: boolean } {
  const chosen = name ?? randomBytes(32).toString('hex');
  const old = readVolume(root, chosen);
  if (old !== undefined) return { volume: old, fresh: false };
  // Made aside and renamed into place, so a volume is never seen half made.
  const dir = join(volumesDir(root), chosen);
  const temporary = join(volumesDir(root), `.new-${chosen}-${process.pid}`);
  mkdirSync(join(temporary, '_data'), { recursive: true, mode: 0o755 });
  const record = { name: chosen, created: new Date().toISOString(), anonymous: name === undefined };
  writeFileSync(join(temporary, 'volume.json'), `${JSON.stringify(record)}\n`);
  try {
    renameSync(temporary, dir);
  } catch {
    // Another container made it first: use theirs.
    rmSync(temporary, { recursive: true, force: true });
    const raced = readVolume(root, chosen);
    if (raced === undefined) throw new UndockerError('UNDOCKER_IO', `cannot make volume ${chosen} in ${dir}`);
    return { volume: raced, fresh: false };
  }
  return { volume: { ...record, mountpoint: join(dir, '_data') }, fresh: true };
}

/** fillVolume copies an image folder's content, owners, modes and extended attributes included, into a new volume. */
export function fillVolume(volume: Volume, source: string): void {
  try {
    execFileSync('cp', ['-a', '--', `${source}/.`, `${volume.mountpoint}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const detail = ((error as { stderr?: Buffer }).stderr?.toString() ?? '').trim().split('\n')[0] ?? '';
    throw new UndockerError('UNDOCKER_IO', `cannot fill volume ${volume.name} from ${source}: ${detail}`, {
      cause: error,
    });
  }
}

/** listVolumes lists every volume, by name. */
export function listVolumes(root: string): Volume[] {
  return recordNames(volumesDir(root))
    .flatMap((name) => readVolume(root, name) ?? [])
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** findVolume returns volume `name`, or fails as docker does. */
export function findVolume(root: string, name: string): Volume {
  const volume = readVolume(root, name);
  if (volume === undefined) throw new UndockerError('UNDOCKER_NOT_FOUND', `no such volume: ${name}`);
  return volume;
}

/** deleteVolume removes a volume and its content; the caller has checked that no container uses it. */
export function deleteVolume(root: string, name: string): void {
  const dir = join(volumesDir(root), name);
  const doomed = join(volumesDir(root), `.gone-${name}-${process.pid}`);
  renameSync(dir, doomed);
  rmSync(doomed, { recursive: true, force: true });
}
