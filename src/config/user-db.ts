/**
 * The image's own user database: `/etc/passwd` and `/etc/group` as Docker reads them to turn
 * `User` into ids (moby/sys/user). Malformed lines are skipped, as libc does.
 */

/** PasswdEntry is one line of /etc/passwd. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** GroupEntry is one line of /etc/group. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** UserDb is what an image's passwd and group files say; `undefined` where a file is absent. */
export interface UserDb {
  passwd?: PasswdEntry[];
  group?: GroupEntry[];
}

const ID = /^\d+$/;

function fieldsOf(text: string, count: number): string[][] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'))
    .filter((fields) => fields.length >= count);
}

/** parsePasswd reads the entries of an /etc/passwd file. */
export function parsePasswd(text: string): PasswdEntry[] {
  return fieldsOf(text, 7)
    .filter((f) => ID.test(f[2] as string) && ID.test(f[3] as string))
    .map((f) => ({ name: f[0] as string, uid: Number(f[2]), gid: Number(f[3]), home: f[5] as string }));
}

/** parseGroup reads the entries of an /etc/group file. */
export function parseGroup(text: string): GroupEntry[] {
  return fieldsOf(text, 4)
    .filter((f) => ID.test(f[2] as string))
    .map((f) => ({ name: f[0] as string, gid: Number(f[2]), members: (f[3] as string).split(',').filter(Boolean) }));
}
