/**
 * A process named so that a reused pid is never mistaken for it: its pid and the time it started
 * (field 22 of /proc/PID/stat, in clock ticks since boot). Records on disk that outlive their
 * processes (a container's owner, its runtime) hold these, not bare pids.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** ProcessIdentity is one process, for as long as it lives. */
export interface ProcessIdentity {
  pid: number;
  /** start is the process's start time in clock ticks after boot */
  start: number;
}

function startOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

/** identify names process `pid` as it is now; undefined when there is none. */
export function identify(pid: number): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const start = startOf(pid);
  return start === undefined ? undefined : { pid, start };
}

/** isLiving tells whether the process `identity` names still runs (not a later one with its pid). */
export function isLiving(identity: ProcessIdentity | undefined): boolean {
  if (identity === undefined) return false;
  const start = startOf(identity.pid);
  if (start !== identity.start) return false;
  // A zombie has exited; only its parent's wait is missing.
  try {
    const stat = readFileSync(`/proc/${identity.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** childrenOf lists the pids of `pid`'s children. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** pidNamespaceOf names `pid`'s pid namespace (like `pid:[4026531836]`), or undefined. */
export function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}
