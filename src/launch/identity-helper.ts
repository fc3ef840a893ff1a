/**
 * Finding the identity helper on this host: util-linux's setpriv and what its dynamic loader
 * loads, and the static busybox that sets the environment, to be bound read-only into a
 * container at HELPER_DIR (or copied there, for a tree undocker installs).
 * generate/helper-argv.ts and generate/launcher.ts say how they are run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UndockerError } from '../errors.js';
import { HELPER_DIR, type HelperLoader } from '../generate/helper-argv.js';
import { LAUNCHER_SHELL } from '../generate/launcher.js';
import { findLauncherShell } from './launcher-shell.js';
import { findProgram } from './runtime-check.js';

/** IdentityHelper is the host files to bind (or copy) and the loader to run them with. */
export interface IdentityHelper extends HelperLoader {
  /** binds are host file -> path inside the container */
  binds: Array<{ host: string; container: string }>;
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

/** MEMO_FORMAT changes when what the helper holds does, so an older memo is found again. */
const MEMO_FORMAT = 2;

/** Remembered is a helper found earlier, with the mtime of each file it binds. */
interface Remembered extends IdentityHelper {
  format: number;
  stamps: number[];
}

/** remembered reads a helper found earlier from `file`, if its files have not changed since (an upgrade would). */
function remembered(file: string): IdentityHelper | undefined {
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Remembered;
    if (saved.format !== MEMO_FORMAT) return undefined;
    const same = saved.binds.every((bind, i) => statSync(bind.host).mtimeMs === saved.stamps[i]);
    return same ? { binds: saved.binds, loader: saved.loader } : undefined;
  } catch {
    return undefined; // none yet, unreadable, or a file gone: find it again
  }
}

function remember(file: string, helper: IdentityHelper): void {
  const saved: Remembered = {
    ...helper,
    format: MEMO_FORMAT,
    stamps: helper.binds.map((bind) => statSync(bind.host).mtimeMs),
  };
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, JSON.stringify(saved));
    renameSync(temporary, file);
  } catch {
    rmSync(temporary, { force: true }); // a cache that cannot be written only costs the next run an ldd
  }
}

/**
 * findIdentityHelper locates setpriv and what it loads, once per process; with `memo` (a file in
 * the run cache) also across runs, as ldd alone takes about 30 ms.
 */
export function findIdentityHelper(memo?: string): IdentityHelper {
  if (found !== undefined) return found;
  const earlier = memo === undefined ? undefined : remembered(memo);
  if (earlier !== undefined) return (found = earlier);
  found = lddHelper();
  if (memo !== undefined) remember(memo, found);
  return found;
}

function lddHelper(): IdentityHelper {
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
  binds.push({ host: realpathSync(findLauncherShell()), container: LAUNCHER_SHELL });
  return { binds, loader: `${HELPER_DIR}/${basename(loader)}` };
}
