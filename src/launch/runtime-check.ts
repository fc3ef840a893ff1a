/**
 * What launching needs, checked up front so the error says exactly what to install or do.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UndockerError } from '../errors.js';
import type { Runtime } from './run-request.js';

const PROGRAM: Record<Runtime, { program: string; package: string; other: string }> = {
  nspawn: { program: 'systemd-nspawn', package: 'systemd-container', other: '--runtime lxc' },
  lxc: { program: 'lxc-execute', package: 'lxc', other: '--runtime nspawn' },
};

/** findProgram returns the path of `program` on PATH, or undefined. */
export function findProgram(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** requireRuntime throws one line naming the package or the remedy when `runtime` cannot run here. */
export function requireRuntime(runtime: Runtime, command: string): void {
  const { program, package: pkg, other } = PROGRAM[runtime];
  if (findProgram(program) === undefined) {
    throw new UndockerError(
      'UNDOCKER_MISSING_TOOL',
      `${program} not found: install the ${pkg} package, or use ${other}`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new UndockerError(
      'UNDOCKER_FS_REFUSED',
      `undocker ${command} needs root: ${program} and the overlay mount of the cached image need it; run it with sudo`,
    );
  }
}
