/**
 * Whether a process lives, asked of the kernel with signal 0. The one copy for the project.
 */
import { isErrno } from '../errors.js';

/** isAlive tells whether process `pid` exists; pids 0 and below name no single process and are never alive. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else.
    return isErrno(error, 'EPERM');
  }
}
