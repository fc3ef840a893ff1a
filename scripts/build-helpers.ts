/**
 * Compiles undocker's two C helpers into dist/src/host/, beside the module that finds them (and
 * one folder deep like the bundles, which find them from dist/src/<folder>/):
 * - idmap-mount (src/host/idmap-mount.c), the idmapped mounts --userns=auto needs;
 * - overlay-exec (src/host/overlay-exec.c), a run's overlay in a mount namespace of its own.
 * Without a C compiler the build goes on and says so: --userns=auto fails naming the remedy, and
 * a run mounts its overlay with unshare(1), sh and mount(8), ~10 ms slower.
 * Usage (npm run build runs it after the bundles): node dist/scripts/build-helpers.js
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HELPERS = ['idmap-mount', 'overlay-exec'];
const compiler = process.env.CC ?? 'cc';

mkdirSync(fileURLToPath(new URL('../src/host/', import.meta.url)), { recursive: true });
for (const helper of HELPERS) {
  const source = fileURLToPath(new URL(`../../src/host/${helper}.c`, import.meta.url));
  const target = fileURLToPath(new URL(`../src/host/${helper}`, import.meta.url));
  const temporary = `${target}.${process.pid}.tmp`;
  const result = spawnSync(compiler, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', temporary, source], {
    stdio: 'inherit',
  });
  if (result.error !== undefined) {
    rmSync(temporary, { force: true });
    process.stdout.write(`not built: ${target} (${compiler}: ${result.error.message})\n`);
  } else if (result.status !== 0) {
    rmSync(temporary, { force: true });
    process.stderr.write(`${compiler} failed on ${source}\n`);
    process.exit(1);
  } else {
    renameSync(temporary, target);
    process.stdout.write(`compiled ${target}\n`);
  }
}
