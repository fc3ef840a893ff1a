/**
 * Where undocker's C helpers are (src/host/*.c, compiled by the build into dist/src/host/): the
 * programs undocker ships rather than finds, since no tool of this host's generation does what
 * they do, or not in one process.
 */
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UndockerError } from '../errors.js';

/** helperPath is where the build puts helper `name`. */
function helperPath(name: string): string {
  // Spelled from the folder above, so the CLI bundle (dist/src/cli/) finds it too.
  return fileURLToPath(new URL(`../host/${name}`, import.meta.url));
}

/** built tells whether the build made `program`: it had a C compiler. */
function built(program: string): boolean {
  try {
    accessSync(program, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** idmapMountProgram returns the path of idmap-mount (--userns=auto), or says how to build it. */
export function idmapMountProgram(): string {
  const program = helperPath('idmap-mount');
  if (!built(program))
    throw new UndockerError(
      'UNDOCKER_MISSING_TOOL',
      `--userns=auto needs ${program}, which the build makes with a C compiler: install gcc, then npm run build`,
    );
  return program;
}

/** overlayExecProgram returns the path of overlay-exec, or undefined: a run then mounts with unshare, sh and mount. */
export function overlayExecProgram(): string | undefined {
  const program = helperPath('overlay-exec');
  return built(program) ? program : undefined;
}

/**
 * overlayExecArgs is overlay-exec's command line: mount `options` (their paths relative to `dir`)
 * at `target`, say what failed on fd 3, then become `command`.
 */
export function overlayExecArgs(dir: string, options: string, target: string, command: string[]): string[] {
  return ['3', dir, options, target, '--', ...command];
}
