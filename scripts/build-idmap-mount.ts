/**
 * Compiles src/host/idmap-mount.c, the helper --userns=auto mounts with, into
 * dist/src/host/idmap-mount, beside the module that runs it (and one folder deep like the
 * bundles, which find it from dist/src/<folder>/). Without a C compiler the build goes on and
 * says so: everything but --userns=auto works, and that option names the remedy.
 * Usage (npm run build runs it after the bundles): node dist/scripts/build-idmap-mount.js
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../../src/host/idmap-mount.c', import.meta.url));
const TARGET = fileURLToPath(new URL('../src/host/idmap-mount', import.meta.url));
const compiler = process.env.CC ?? 'cc';
const temporary = `${TARGET}.${process.pid}.tmp`;

mkdirSync(fileURLToPath(new URL('../src/host/', import.meta.url)), { recursive: true });
const result = spawnSync(compiler, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', temporary, SOURCE], {
  stdio: 'inherit',
});
if (result.error !== undefined) {
  rmSync(temporary, { force: true });
  process.stdout.write(`not built: ${TARGET} (${compiler}: ${result.error.message}); --userns=auto needs it\n`);
} else if (result.status !== 0) {
  rmSync(temporary, { force: true });
  process.stderr.write(`${compiler} failed on ${SOURCE}\n`);
  process.exit(1);
} else {
  renameSync(temporary, TARGET);
  process.stdout.write(`compiled ${TARGET}\n`);
}
