/**
 * Helper programs undocker runs besides the container runtimes: xz, zstd and bzip2 as stream
 * filters (Node 20's zlib has neither xz nor zstd), mknod and mkfifo (Node has no mknod), and
 * setfattr (Node has no xattr calls). They use node:child_process rather than execa: execa
 * costs 16 MB of resident memory at import, and flattening has a 150 MB budget. Each missing
 * program gives one line naming its package.
 */
import { execFileSync, spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { UndockerError } from '../errors.js';

/** PACKAGE_OF names the Debian package that ships each helper program. */
const PACKAGE_OF: Record<string, string> = {
  xz: 'xz-utils',
  zstd: 'zstd',
  bzip2: 'bzip2',
  mknod: 'coreutils',
  mkfifo: 'coreutils',
  setfattr: 'attr',
};

function missingTool(program: string, cause: unknown): UndockerError {
  return new UndockerError(
    'UNDOCKER_MISSING_TOOL',
    `${program} not found: install the ${PACKAGE_OF[program] ?? program} package`,
    { cause },
  );
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'ENOENT';
}

/** C_LOCALE makes helper programs speak untranslated English: their messages are read (EPERM vs ENOTSUP). */
const C_LOCALE = { ...process.env, LC_ALL: 'C' };

/**
 * filterThrough runs a program as a stream filter: bytes in on stdin, out on stdout. Its output
 * ends only once the program has exited 0, so a failing filter is an error, never a short read:
 * `failure` turns what the program said into the error that names the input.
 */
export function filterThrough(program: string, args: string[], failure: (said: string) => UndockerError): Duplex {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], env: C_LOCALE });
  let stderr = '';
  const duplex = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      // Called back once the pipe has the bytes (a writer may then reuse its buffer), failed or
      // not: a program that exits early says why by its status, not by EPIPE.
      child.stdin.write(chunk, () => callback());
    },
    final(callback) {
      child.stdin.end();
      callback();
    },
    read() {
      child.stdout.resume();
    },
    destroy(error, callback) {
      if (child.exitCode === null) child.kill();
      callback(error);
    },
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) child.stdout.pause();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  // The program may exit before reading all its input (bad data): its status says why, not EPIPE.
  child.stdin.on('error', () => undefined);
  child.on('error', (error) => duplex.destroy(isMissing(error) ? missingTool(program, error) : error));
  child.on('close', (code, signal) => {
    if (code === 0) duplex.push(null);
    else if (!duplex.destroyed) {
      const said = stderr.trim().split('\n')[0] || (signal ?? `exit status ${code}`);
      duplex.destroy(failure(said.startsWith(`${program}:`) ? said : `${program}: ${said}`));
    }
  });
  return duplex;
}

/** runTool runs a helper program to completion, with `input` on its stdin, throwing a one-line error on failure. */
export function runTool(program: string, args: string[], input?: Buffer): void {
  try {
    execFileSync(program, args, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
      env: C_LOCALE,
      ...(input ? { input } : {}),
    });
  } catch (error) {
    if (isMissing(error)) throw missingTool(program, error);
    const stderr =
      String((error as { stderr?: unknown }).stderr ?? '')
        .trim()
        .split('\n')[0] ?? '';
    // Refusals come back as a message; keep EPERM so callers can treat them as refusals.
    const code = /not permitted|permission denied/i.test(stderr)
      ? 'EPERM'
      : /not supported/i.test(stderr)
        ? 'ENOTSUP'
        : 'EIO';
    throw Object.assign(new Error(`${program} failed: ${stderr}`), { cause: error, code });
  }
}
