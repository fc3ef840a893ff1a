/**
 * A copy of bin/undocker.cjs beside a stand-in dist/ tree, whose bundle and compiled modules say
 * which of them ran: tests of what the bin itself decides.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNDOCKER } from './cli.js';

/** PRINTING_BUNDLE prints `bundle`, its own file name and its arguments. */
const PRINTING_BUNDLE =
  "process.stdout.write('bundle ' + require('node:path').basename(__filename) + ' ' + " +
  "process.argv.slice(2).join(' '));";

/** standIn makes the tree in a fresh temporary folder; `bundleBody` is the stand-in bundle's code. */
export function standIn(bundleBody = PRINTING_BUNDLE): { root: string; cli: string; bin: string } {
  const root = mkdtempSync(join(tmpdir(), 'undocker-bin-'));
  const cli = join(root, 'dist', 'src', 'cli');
  mkdirSync(join(root, 'bin'));
  mkdirSync(cli, { recursive: true });
  const bin = join(root, 'bin', 'undocker.cjs');
  copyFileSync(UNDOCKER, bin);
  writeFileSync(join(root, 'package.json'), '{"type": "module"}\n');
  writeFileSync(join(cli, 'main.js'), "process.stdout.write('modules ' + process.argv.slice(2).join(' '));\n");
  // run-main.js is the entry of `run` alone; the modules the bin falls back to start from main.js.
  writeFileSync(join(cli, 'run-main.js'), '');
  for (const bundle of ['main.bundle.cjs', 'run-main.bundle.cjs'])
    writeFileSync(join(cli, bundle), `(function (require, __filename) { ${bundleBody} })\n`);
  return { root, cli, bin };
}
