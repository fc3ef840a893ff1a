/**
 * Where the idmap-mount helper is (src/host/idmap-mount.c, compiled by the build into
 * dist/src/host/): the one program undocker ships rather than finds, since no tool of this
 * host's generation makes idmapped mounts.
 */
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UndockerError } from '../errors.js';

/** idmapMountProgram returns the helper's path, or says how to build it. */
export function idmapMountProgram(): string {
  // Spelled from the folder above, so the CLI bundle (dist/src/cli/) finds it too.
  const program = fileURLToPath(new URL('../host/idmap-mount', import.meta.url));
  try {
    accessSync(program, constants.X_OK);
  } catch (cause) {
    throw new UndockerError(
      'UNDOCKER_MISSING_TOOL',
      `--userns=auto needs ${program}, which the build makes with a C compiler: install gcc, then npm run build`,
      { cause },
    );
  }
  return program;
}
