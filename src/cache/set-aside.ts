/**
 * Removing from the cache while runs read it, without a lock. What is to go (an image's folder, a
 * layer) is first renamed aside under a name holding the remover's pid, and only then is it asked
 * whether anything needs it: the answer can no longer change under the remover, because a run
 * that comes later finds the folder gone and makes it again. If something does need it, it goes
 * back. Runs make their claim first (a container being made names its image; an image record
 * names its layers) and read the cache after, so each run is either seen by the question or
 * finds the folder gone. A folder whose remover died is a leftover, as an unfinished unpack is.
 */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.js';
import { isAlive } from '../host/process-alive.js';

/** SET_ASIDE_PREFIX starts the name of a folder on its way out; the remover's pid and the old name follow. */
export const SET_ASIDE_PREFIX = '.removing-';

/** setAside renames `parent/name` aside and returns the new name, or undefined if it is gone already. */
export function setAside(parent: string, name: string): string | undefined {
  const aside = `${SET_ASIDE_PREFIX}${process.pid}-${name}`;
  try {
    renameSync(join(parent, name), join(parent, aside));
    return aside;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/** putBack returns a folder set aside to its name; if a run made it again meanwhile, that one stays. */
export function putBack(parent: string, aside: string, name: string): void {
  try {
    renameSync(join(parent, aside), join(parent, name));
  } catch (error) {
    if (!isErrno(error, 'ENOTEMPTY', 'EEXIST')) throw error;
    rmSync(join(parent, aside), { recursive: true, force: true });
  }
}

/**
 * removeUnlessClaimed sets `parent/name` aside and asks `claims()`: if there are any, it goes
 * back; if not, it is deleted. It returns the claims.
 */
export function removeUnlessClaimed<T>(parent: string, name: string, claims: () => T[]): T[] {
  const aside = setAside(parent, name);
  if (aside === undefined) return [];
  const found = claims();
  if (found.length > 0) putBack(parent, aside, name);
  else rmSync(join(parent, aside), { recursive: true, force: true });
  return found;
}

/**
 * ownerOf reads a temporary folder's name, `PREFIX<pid>-<rest>`: whether the process that made it
 * still lives, and the rest; undefined for a name without the prefix.
 */
export function ownerOf(name: string, prefix: string): { living: boolean; rest: string } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const after = name.slice(prefix.length);
  const dash = after.indexOf('-');
  return { living: isAlive(Number(after.slice(0, dash))), rest: after.slice(dash + 1) };
}

/** asideOf reads a set-aside name: whether its remover still lives, and the folder's old name. */
export function asideOf(name: string): { living: boolean; name: string } | undefined {
  const owner = ownerOf(name, SET_ASIDE_PREFIX);
  return owner === undefined ? undefined : { living: owner.living, name: owner.rest };
}
