/**
 * `undocker exec [-i] [-t] [-u USER] [-w DIR] [-e K=V] CONTAINER COMMAND...`: a command in a
 * running container, as docker exec runs it; the exit status is the command's, 126 or 127 when
 * it cannot be run, and 1 with one line when the container is not running.
 */
import type { Command } from 'commander';
import { cacheRoot } from '../cache/cache-root.js';
import { toEnvEntry } from '../config/env-file.js';
import { execInContainer } from '../container/exec.js';
import { findContainer } from '../container/records.js';
import { UsageError } from '../errors.js';
import { ExitStatus } from './exit-status.js';
import { collect } from './repeatable.js';

interface ExecOptions {
  interactive?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
  env: string[];
}

/** registerExec adds the exec command. */
export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('run a command in a running container, with its environment, user and capabilities')
    .argument('<container>', 'container name or id')
    .argument('<command...>', 'the command and its arguments')
    .usage('[options] CONTAINER COMMAND [ARG...]')
    .passThroughOptions()
    .option('-i, --interactive', 'pass standard input to the command')
    .option('-t, --tty', 'the command reads and writes this terminal (TERM=xterm)')
    .option('-u, --user <user[:group]>', "user name or uid, and group (default: the container's user)")
    .option('-w, --workdir <dir>', "working directory (default: the container's)")
    .option('-e, --env <name=value>', 'set an environment variable (repeatable)', collect, [])
    .action(async (reference: string, command: string[], options: ExecOptions) => {
      if (options.tty && !process.stdin.isTTY && options.interactive)
        throw new UsageError('exec: -t -i: the input device is not a TTY');
      const root = cacheRoot();
      const env = options.env.flatMap((entry) => toEnvEntry(entry, '-e') ?? []);
      const status = await execInContainer(root, findContainer(root, reference), {
        command,
        env,
        interactive: options.interactive ?? false,
        tty: options.tty ?? false,
        ...(options.user !== undefined ? { user: options.user } : {}),
        ...(options.workdir !== undefined ? { workdir: options.workdir } : {}),
      });
      throw new ExitStatus(status);
    });
}
