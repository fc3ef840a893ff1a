/**
 * Starting the CLI: run the program, turn any failure into one line and an exit status (0
 * success, 1 failure, 2 usage, 130/143 interrupted; `run` passes the container's status, or 125),
 * and stop work cleanly on signals. main.ts and run-main.ts start it, each with its commands.
 */
import { CommanderError } from 'commander';
import { UndockerError } from '../errors.js';
import { ExitStatus } from './exit-status.js';
import { printError } from './output.js';
import { buildProgram, type CommandTable, commandsFor } from './program.js';

const SIGNAL_STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

async function main(argv: string[], commands: CommandTable): Promise<number> {
  const controller = new AbortController();
  let interrupted: number | undefined;
  for (const signal of Object.keys(SIGNAL_STATUS)) {
    process.once(signal, () => {
      interrupted = SIGNAL_STATUS[signal];
      controller.abort(new UndockerError('UNDOCKER_ABORTED', `interrupted by ${signal}`));
    });
  }
  // A reader that closes the pipe early (`| head`) is not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(interrupted ?? 0);
  });
  try {
    const program = await buildProgram(controller.signal, commands, commandsFor(argv[2], commands));
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (interrupted !== undefined) return interrupted;
    if (error instanceof ExitStatus) return error.status;
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
        ? 0
        : 2;
    }
    if (error instanceof UndockerError) {
      printError(error.message);
      return error.exitCode;
    }
    const system = error as NodeJS.ErrnoException;
    if (typeof system?.code === 'string' && typeof system.message === 'string') {
      printError(system.message);
      return 1;
    }
    // No stack trace for users; UNDOCKER_DEBUG=1 shows it to whoever reports the bug.
    printError(`internal error: ${(error as Error)?.message ?? String(error)}`);
    if (process.env.UNDOCKER_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    return 1;
  }
}

/**
 * startCli runs the command line of this process with `commands`, and exits with its status.
 * It exits at once: everything is written by now (stdout and stderr are synchronous on Linux),
 * and letting the loop drain tears the V8 heap down page by page, 50-100 ms after a large
 * flatten. No top-level await: the bundles bin/undocker.cjs runs are CommonJS scripts.
 */
export function startCli(commands: CommandTable): void {
  void main(process.argv, commands).then((status) => process.exit(status));
}
