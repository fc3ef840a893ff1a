/**
 * The identity helper: util-linux's setpriv, with its own dynamic loader and libraries, bound
 * read-only into the container at HELPER_DIR and run through that loader, so it works in any
 * image (busybox, distroless, scratch) and never reads the image's libc or NSS. It is PID 1
 * for an instant: it sets the groups, gid, uid, bounding set, inheritable set and
 * no_new_privs as runc does for docker run, then execs the command, which keeps PID 1.
 * systemd-nspawn's own --user needs the image's getent, which most images lack.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import type { Capability } from '../config/capabilities.js';
import type { ResolvedUser } from '../config/resolve-user.js';
import { UndockerError } from '../errors.js';
import { findProgram } from './runtime-check.js';

/** HELPER_DIR is where the helper appears inside a container, as /.dockerenv does under Docker. */
export const HELPER_DIR = '/.undocker';

/** IdentityHelper is the host files to bind and the loader to run them with. */
export interface IdentityHelper {
  /** binds are host file -> path inside the container */
  binds: Array<{ host: string; container: string }>;
  /** loader is the dynamic loader's path inside the container */
  loader: string;
}

let found: IdentityHelper | undefined;

/** parseLdd reads ldd's output into the libraries and the loader it names. */
export function parseLdd(output: string): { libraries: string[]; loader: string | undefined } {
  const libraries: string[] = [];
  let loader: string | undefined;
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === '=>' && fields[2]?.startsWith('/')) libraries.push(fields[2]);
    else if (fields[0]?.startsWith('/')) loader = fields[0];
  }
  return { libraries, loader };
}

/** findIdentityHelper locates setpriv and what it loads, once per process. */
export function findIdentityHelper(): IdentityHelper {
  if (found !== undefined) return found;
  const setpriv = findProgram('setpriv', `${process.env.PATH ?? ''}:/usr/bin:/bin`);
  if (setpriv === undefined) {
    throw new UndockerError('UNDOCKER_MISSING_TOOL', 'setpriv not found: install the util-linux package');
  }
  let output: string;
  try {
    output = execFileSync('ldd', [setpriv], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  } catch (error) {
    throw new UndockerError('UNDOCKER_MISSING_TOOL', `ldd ${setpriv}: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
  const { libraries, loader } = parseLdd(output);
  if (loader === undefined) throw new UndockerError('UNDOCKER_MISSING_TOOL', `ldd ${setpriv}: no dynamic loader named`);
  // Bound under the names the loader asks for; the host paths may be symlinks.
  const binds = [setpriv, ...libraries, loader].map((host) => ({
    host: realpathSync(host),
    container: `${HELPER_DIR}/${basename(host)}`,
  }));
  found = { binds, loader: `${HELPER_DIR}/${basename(loader)}` };
  return found;
}

/** HelperIdentity is what the helper sets before it execs the command. */
export interface HelperIdentity {
  user: ResolvedUser;
  /** bounding is the bounding set to keep, or undefined to keep the runtime's (--privileged) */
  bounding: readonly Capability[] | undefined;
  noNewPrivileges: boolean;
}

/** toHelperArgv is the argv prefix that runs the helper, to be followed by the command. */
export function toHelperArgv(helper: IdentityHelper, identity: HelperIdentity): string[] {
  const { user, bounding } = identity;
  const caps = (bounding ?? []).map((cap) => `+${cap.slice('CAP_'.length).toLowerCase()}`);
  return [
    helper.loader,
    '--library-path',
    HELPER_DIR,
    `${HELPER_DIR}/setpriv`,
    ...(identity.noNewPrivileges ? ['--nnp'] : []),
    ...(bounding !== undefined ? [`--bounding-set=${['-all', ...caps].join(',')}`] : []),
    '--inh-caps=-all',
    `--regid=${user.gid}`,
    user.groups.length > 0 ? `--groups=${user.groups.join(',')}` : '--clear-groups',
    `--reuid=${user.uid}`,
    '--',
  ];
}
