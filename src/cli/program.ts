/**
 * The undocker command line: one subcommand per file, registered here.
 */
import { Command } from 'commander';
import { registerConfig } from './config.js';
import { registerLayers } from './layers.js';
import { registerList } from './list.js';
import { registerRootfs } from './rootfs.js';
import { printError } from './output.js';
import { VERSION } from './version.js';
import { registerNspawnUnit } from './nspawn-unit.js';
import { registerLxcConfig } from './lxcconfig.js';
import { registerLxcTemplate } from './lxc-template.js';

/** buildProgram makes the commander program; `signal` aborts running work on Ctrl-C. */
export function buildProgram(signal: AbortSignal): Command {
  const program = new Command('undocker')
    .description('Turn Docker and OCI images into root filesystems for systemd-nspawn and LXC, without Docker')
    .version(VERSION)
    .showHelpAfterError('(run undocker --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text) => printError(text.replace(/^error: /, '').trim()) });
  for (const register of [registerList, registerLayers, registerConfig, registerRootfs, registerNspawnUnit, registerLxcConfig, registerLxcTemplate]) register(program, signal);
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: (text) => printError(text.replace(/^error: /, '').trim()) });
  return program;
}
