/** The CLI entry point, with every subcommand. */
import { COMMANDS } from './commands.js';
import { startCli } from './start.js';

startCli(COMMANDS);
