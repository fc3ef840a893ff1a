/**
 * Helper programs undocker runs besides the container runtimes: xz, zstd and bzip2 as stream
 * filters (Node 20's zlib has neither xz nor zstd), mknod and mkfifo (Node has no mknod), and
 * setfattr (Node has no xattr calls). Each missing program gives one line naming its package.
 */
import type { Duplex } from 'node:stream';
import { execa, execaSync } from 'execa';
import { UndockerError } from '../errors.js';

/** PACKAGE_OF names the Debian package that ships each helper program. */
const PACKAGE_OF: Record<string, string> = {
  xz: 'xz-utils', zstd: 'zstd', bzip2: 'bzip2', mknod: 'coreutils', mkfifo: 'coreutils', setfattr: 'attr',
};

function missingTool(program: string, cause: unknown): UndockerError {
  return new UndockerError('UNDOCKER_MISSING_TOOL',
    `${program} not found: install the ${PACKAGE_OF[program] ?? program} package`, { cause });
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'ENOENT';
}

/** filterThrough runs a program as a stream filter: bytes in on stdin, bytes out on stdout. */
export function filterThrough(program: string, args: string[]): Duplex {
  const child = execa(program, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: { stderr: true, stdout: false } });
  const duplex = child.duplex({ binary: true });
  child.catch((error: unknown) => {
    if (isMissing(error)) duplex.destroy(missingTool(program, error));
  });
  return duplex;
}

/** runTool runs a helper program to completion, throwing a one-line error on failure. */
export function runTool(program: string, args: string[]): void {
  try {
    execaSync(program, args, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
  } catch (error) {
    if (isMissing(error)) throw missingTool(program, error);
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0] ?? '';
    throw Object.assign(new Error(`${program} failed: ${stderr}`), { cause: error, code: 'EPERM' });
  }
}
