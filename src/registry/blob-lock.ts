/**
 * The download lock of one blob: an flock(2) on `<blob>.lock`, held by a `flock` child process
 * (util-linux) for as long as this process keeps its stdin open. The kernel grants it to one
 * holder at a time and drops it when the holder dies, even by SIGKILL: no pid to read, no
 * stale lock to remove, so two pulls can never both take it. (Node itself has no flock.)
 */
import { spawn } from 'node:child_process';
import { UndockerError } from '../errors.js';

/** BlobLock is a held lock. */
export interface BlobLock {
  release(): Promise<void>;
}

const LOCKED = 'locked\n';

/** lockBlob waits until this process holds the lock on `path`. */
export function lockBlob(path: string, signal?: AbortSignal): Promise<BlobLock> {
  return new Promise((resolve, reject) => {
    // flock becomes `cat` (--no-fork), which holds the lock until its stdin closes: when
    // released, or when this process dies.
    const child = spawn(
      'flock',
      ['--exclusive', '--no-fork', path, 'sh', '-c', `printf '${LOCKED.trim()}\\n'; exec cat`],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let said = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    const abort = (): void => {
      child.kill();
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', abort, { once: true });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said !== LOCKED) return;
      signal?.removeEventListener('abort', abort);
      resolve({
        release: async () => {
          child.stdin.end();
          await exited;
        },
      });
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', abort);
      reject(
        error.code === 'ENOENT'
          ? new UndockerError('UNDOCKER_MISSING_TOOL', 'flock not found: install the util-linux package', {
              cause: error,
            })
          : error,
      );
    });
    child.on('close', (code) => {
      if (said === LOCKED) return;
      signal?.removeEventListener('abort', abort);
      reject(new UndockerError('UNDOCKER_IO', `locking ${path}: ${stderr.trim() || `flock exited ${code}`}`));
    });
  });
}
