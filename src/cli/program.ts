/**
 * The undocker command line: the commander program, made from a table of subcommands, one per
 * file (commands.ts lists them all). Only the command being run is loaded: loading every
 * command's libraries would add about 100 ms to each start, and a warm `undocker run` should cost
 * little more than the runtime itself. Help and unknown words load them all.
 */
import { Command } from 'commander';
import { ExitStatus, FAILED_TO_START } from './exit-status.js';
import { printError } from './output.js';
import { VERSION } from './version.js';

/** Register adds one subcommand to the program. */
export type Register = (program: Command, signal: AbortSignal) => void;

/** CommandTable loads each subcommand's registration by name, in the order help lists them. */
export type CommandTable = Record<string, () => Promise<Register>>;

const outputError = (text: string): void => printError(text.replace(/^error: /, '').trim());

/**
 * commandsFor names the subcommands to load for the first word of the command line: that
 * subcommand alone, none for --version, and every one for help or a word commander is to suggest
 * a subcommand for.
 */
export function commandsFor(word: string | undefined, commands: CommandTable): string[] {
  if (word === '--version' || word === '-V') return [];
  return word !== undefined && Object.hasOwn(commands, word) ? [word] : Object.keys(commands);
}

/**
 * buildProgram makes the commander program of `commands`; `signal` aborts running work on Ctrl-C.
 * Only the subcommands named are loaded, every one by default.
 */
export async function buildProgram(
  signal: AbortSignal,
  commands: CommandTable,
  names = Object.keys(commands),
): Promise<Command> {
  const program = new Command('undocker')
    .description('Turn Docker and OCI images into root filesystems for systemd-nspawn and LXC, without Docker')
    .version(VERSION)
    .showHelpAfterError('(run undocker --help for usage)')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ outputError });
  const registers = await Promise.all(names.map((name) => (commands[name] as () => Promise<Register>)()));
  for (const register of registers) register(program, signal);
  for (const command of program.commands) {
    command
      .exitOverride((error) => {
        // docker run's convention: a run that never started exits 125, usage errors included.
        if ((command.name() === 'run' || command.name() === 'create') && error.exitCode !== 0)
          throw new ExitStatus(FAILED_TO_START);
        throw error;
      })
      .configureOutput({ outputError });
  }
  return program;
}
