/**
 * Docker's reading of the `User` field (moby/sys/user GetExecUser): `name`, `uid`, `name:group`,
 * `uid:gid`, looked up in the image's own passwd and group files. A numeric uid the image does
 * not know is used as it is, with gid 0 and HOME `/`; a name it does not know is an error.
 * The supplementary groups are Docker 20.10's, measured with its engine: the primary gid, plus,
 * when no group was given, every group of /etc/group that lists the user's name.
 */
import { UndockerError } from '../errors.js';
import type { UserDb } from './user-db.js';

/** ResolvedUser is the identity a container process runs as. */
export interface ResolvedUser {
  /** spec is the field as written, `` for the default (root). */
  spec: string;
  uid: number;
  gid: number;
  /** name is the passwd name, when the image's passwd knows the uid. */
  name?: string;
  /** group is the group part of the spec, when one was given. */
  group?: string;
  /** groups are the supplementary groups in ascending order: the gid and the groups that list the user. */
  groups: number[];
  home: string;
}

const ID = /^\d+$/;
const MAX_ID = 2 ** 31 - 1;

function toId(text: string, what: string, where: string): number {
  const id = Number(text);
  if (id > MAX_ID) throw new UndockerError('UNDOCKER_BAD_ARCHIVE', `${where}: User: ${what} ${text} is out of range`);
  return id;
}

/** resolveUser turns a `User` field into ids; `where` names the image for messages. */
export function resolveUser(spec: string, db: UserDb, where: string): ResolvedUser {
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? undefined : spec.slice(colon + 1);
  const passwd = db.passwd ?? [];
  const wanted = userPart === '' ? '0' : userPart;
  const entry = ID.test(wanted) ? passwd.find((e) => e.uid === Number(wanted)) : passwd.find((e) => e.name === wanted);
  if (entry === undefined && !ID.test(wanted)) {
    const file = db.passwd === undefined ? 'the image has no /etc/passwd' : 'no such user in its /etc/passwd';
    throw new UndockerError(
      'UNDOCKER_NOT_FOUND',
      `${where}: User ${JSON.stringify(spec)}: unable to find user ${wanted}: ${file}`,
    );
  }
  const user: ResolvedUser = {
    spec,
    uid: entry?.uid ?? toId(wanted, 'uid', where),
    gid: entry?.gid ?? 0,
    groups: [],
    home: entry?.home || '/',
  };
  if (entry !== undefined) user.name = entry.name;
  const groups = db.group ?? [];
  if (groupPart !== undefined && groupPart !== '') {
    user.group = groupPart;
    const group = ID.test(groupPart) ? undefined : groups.find((g) => g.name === groupPart);
    if (group === undefined && !ID.test(groupPart)) {
      const file = db.group === undefined ? 'the image has no /etc/group' : 'no such group in its /etc/group';
      throw new UndockerError(
        'UNDOCKER_NOT_FOUND',
        `${where}: User ${JSON.stringify(spec)}: unable to find group ${groupPart}: ${file}`,
      );
    }
    user.gid = group?.gid ?? toId(groupPart, 'gid', where);
  }
  const name = user.name;
  const listing = user.group === undefined && name !== undefined ? groups.filter((g) => g.members.includes(name)) : [];
  user.groups = [...new Set([user.gid, ...listing.map((g) => g.gid)])].sort((a, b) => a - b);
  return user;
}
