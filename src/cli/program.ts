/**
 * The undocker command line: one subcommand per file, registered here.
 */
import { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerLayers } from './layers.js';
import { registerList } from './list.js';
import { registerRootfs } from './rootfs.js';
import { printError } from './output.js';

/** VERSION is the version the CLI reports. */
export const VERSION = '0.1.0';

/** buildProgram makes the commander program; `signal` aborts running work on Ctrl-C. */
export function buildProgram(signal: AbortSignal): Command {
  const program = new Command('undocker')
    .description('Turn Docker and OCI images into root filesystems for systemd-nspawn and LXC, without Docker')
    .version(VERSION)
    .showHelpAfterError('(run undocker --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text) => printError(text.replace(/^error: /, '').trim()) });
  for (const register of [registerList, registerLayers, registerConfig, registerRootfs]) register(program, signal);
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: (text) => printError(text.replace(/^error: /, '').trim()) });
  return program;
}
